import { Mutex } from '@odin/hugo';
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery, QueryResult } from 'kysely';
import { resolve } from 'node:path';
import { rowWidth } from '../row-by-row.js';
import { StatementCache } from './statement-cache.js';
import { GroupSync, WalFileSync } from './wal-sync.js';

export interface OdinSqliteOptions {
  /**
   * Makes everything committed so far durable (an fsync of the WAL by default). Ignored for in-memory databases.
   * Injectable so tests control its timing.
   */
  syncWal?: () => Promise<void>;
}

/** The one better-sqlite3 connection, shared by the Kysely driver and the transaction pipeline. */
export interface SharedConnection {
  db: BetterSqlite3.Database;
  statements: StatementCache;
  /** Hands the one connection to one caller at a time, in arrival order (a transaction holds it until commit). */
  mutex: Mutex;
  totalChanges: BetterSqlite3.Statement;
  runRowByRow: RowByRowRunner;
  /** Undefined for in-memory databases: nothing to make durable. */
  durability: GroupSync | undefined;
  /** The WAL file's descriptor behind the default sync, closed with the connection. */
  walFile: WalFileSync | undefined;
}

export function sharedConnection(db: BetterSqlite3.Database, options: OdinSqliteOptions): SharedConnection {
  const walFile = db.memory || options.syncWal ? undefined : new WalFileSync(resolve(db.name));
  const sync = options.syncWal ?? (walFile ? () => walFile.sync() : undefined);
  return {
    db,
    statements: new StatementCache(db),
    mutex: new Mutex(),
    totalChanges: db.prepare('SELECT total_changes()').pluck(),
    runRowByRow: rowByRowRunner(db),
    durability: db.memory || sync === undefined ? undefined : new GroupSync(sync, db.name),
    walFile,
  };
}

/** What one statement did: its result as Kysely reads it, and the rows it changed (0 for a read). */
export interface StatementOutcome<R> {
  result: QueryResult<R>;
  changes: number;
}

/** Runs one statement on the connection, synchronously; the caller holds the connection's lock. */
export function runStatement<R>(shared: SharedConnection, compiled: CompiledQuery): StatementOutcome<R> {
  const stmt = shared.statements.prepare(compiled.sql);
  const params = compiled.parameters as unknown[];
  const width = rowWidth(compiled);
  if (width !== undefined) {
    const changes = shared.runRowByRow(stmt, params, width);
    return { result: { numAffectedRows: BigInt(changes), rows: [] }, changes };
  }
  if (stmt.reader && stmt.readonly) return { result: { rows: stmt.all(...params) as R[] }, changes: 0 };
  if (stmt.reader) {
    // … RETURNING, or a PRAGMA such as journal_mode that SQLite does not call read-only: only a change of
    // total_changes() tells a real write.
    const before = shared.totalChanges.get() as number;
    const rows = stmt.all(...params) as R[];
    return { result: { rows }, changes: (shared.totalChanges.get() as number) - before };
  }
  const changes = stmt.run(...params).changes;
  return { result: { numAffectedRows: BigInt(changes), rows: [] }, changes };
}

/** Runs a single-row statement for every row of `params`, `width` to a row; returns the rows changed. */
type RowByRowRunner = (stmt: BetterSqlite3.Statement, params: readonly unknown[], width: number) => number;

/**
 * The connection's RowByRowRunner (row-by-row.ts): the rows run as one statement would, inside better-sqlite3's
 * transaction function, which is a savepoint when a transaction is open (a failing row undoes the rows before it,
 * not the transaction) and a transaction of its own otherwise.
 */
function rowByRowRunner(db: BetterSqlite3.Database): RowByRowRunner {
  return db.transaction((stmt: BetterSqlite3.Statement, params: readonly unknown[], width: number) => {
    if (stmt.reader) throw new Error('a row-by-row statement is a write that returns no rows');
    let changes = 0;
    for (let at = 0; at < params.length; at += width)
      changes += stmt.run(params.slice(at, at + width)).changes;
    return changes;
  });
}
