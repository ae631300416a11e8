// A whole transaction run on the connection in one synchronous step, past Kysely. better-sqlite3 runs every
// statement synchronously, so through Kysely each statement of a group commit still paid the asynchronous path of a
// server database: the executor, the transaction's connection provider, the driver guard and the connection lock,
// each a promise or more (ten statements per W1 workflow on start-dev). Here BEGIN, the statements and COMMIT run
// back to back under the connection's lock, and only the wait for the WAL fsync is asynchronous.
import Database from 'better-sqlite3';
import { CompiledQuery, type QueryResult } from 'kysely';
import { unavailableOrSame } from '../driver-errors.js';
import type { CheckedStatement, TransactionPipeline } from '../sql-dialect.js';
import { runStatement, type SharedConnection } from './shared-connection.js';

/** Thrown inside a step when a statement's row count does not hold: the transaction rolls back. */
class RowCountMismatch extends Error {}

export function sqliteTransactionPipeline(
  shared: SharedConnection,
  isConnectionFailure: (error: unknown) => boolean,
  url: string,
): TransactionPipeline {
  const checked = (statements: readonly CheckedStatement[]): QueryResult<unknown>[] =>
    statements.map(({ query, expectRows }) => {
      const { result, changes } = runStatement<unknown>(shared, query);
      const count = result.numAffectedRows === undefined ? result.rows.length : changes;
      if (expectRows !== undefined && count !== expectRows) throw new RowCountMismatch();
      return result;
    });

  /**
   * Runs `body` between BEGIN IMMEDIATE and COMMIT under the connection's lock, then waits for the fsync that makes
   * the commit durable. `body` returns null to roll back. A failed statement or row count rolls back and resolves to
   * null, as on PostgreSQL: the caller re-runs the transaction the ordinary way, which reports the precise failure. A
   * connection failure (I/O, full disk) throws DatabaseUnavailableError, as the ordinary way would.
   */
  const transaction = async <T>(body: () => T | null): Promise<T | null> => {
    const lock = await shared.mutex.lock();
    let value: T | null;
    try {
      runStatement(shared, BEGIN);
      try {
        value = body();
        runStatement(shared, value === null ? ROLLBACK : COMMIT);
      } catch (error) {
        // A failed COMMIT may leave the transaction open (SQLITE_BUSY); any other failure always does.
        if (shared.db.inTransaction) runStatement(shared, ROLLBACK);
        throw error;
      }
    } catch (error) {
      if (error instanceof RowCountMismatch) return null;
      if (!(error instanceof Database.SqliteError)) throw error;
      if (isConnectionFailure(error)) throw unavailableOrSame(error, url, isConnectionFailure);
      return null;
    } finally {
      lock.release();
    }
    // Committed: from here a failure (of the fsync) must reach the caller as one, never as "re-run it".
    if (value !== null) await shared.durability?.afterCommit();
    return value;
  };

  return {
    async commitInOneWrite(statements) {
      const committed = await transaction(() => {
        checked(statements);
        return true;
      });
      return committed === true;
    },
    run(first, decide) {
      return transaction(() => {
        const decision = decide(checked(first));
        if (decision === null) return null;
        for (const query of decision.statements) runStatement(shared, query);
        return decision.value;
      });
    },
  };
}

// IMMEDIATE takes the write lock up front, as the driver's own transactions do (driver.ts).
const BEGIN = CompiledQuery.raw('BEGIN IMMEDIATE');
const COMMIT = CompiledQuery.raw('COMMIT');
const ROLLBACK = CompiledQuery.raw('ROLLBACK');
