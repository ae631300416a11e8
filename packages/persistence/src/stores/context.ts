import type { Kysely, Transaction } from 'kysely';
import type { PersistenceLimits } from '../contract.js';
import type { RowArrays, SqlDialect, TransactionPipeline } from '../dialects/sql-dialect.js';
import type { Tables } from '../tables.js';

/** What every sub-store needs: the Kysely handle, the dialect object for the SQL that differs, and the limits. */
export interface StoreContext {
  db: Kysely<Tables>;
  dialect: SqlDialect;
  limits: PersistenceLimits;
  /**
   * Transactions in one or two steps, where the dialect offers them (PostgreSQL, SQLite): the group commit's fast
   * path.
   */
  pipeline?: TransactionPipeline;
  /** Where the dialect writes many rows as one array per column (`readRowArrays`); else INSERTs list VALUES. */
  rowArrays?: RowArrays;
}

export type Executor = Kysely<Tables> | Transaction<Tables>;

/** Multi-row INSERT chunk: well under every driver's parameter limit (SQLite 32766, PG/MySQL 65535). */
export const INSERT_CHUNK_ROWS = 200;

const TRANSACTION_ATTEMPTS = 3;

/** Runs `body` in one transaction, re-running it when the database aborted it for a deadlock. */
export async function inTransaction<T>(
  ctx: StoreContext,
  body: (trx: Transaction<Tables>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction().execute(body);
    } catch (error) {
      if (attempt >= TRANSACTION_ATTEMPTS || !ctx.dialect.isRetryableAbort(error)) throw error;
    }
  }
}

export function chunks<T>(items: readonly T[], size = INSERT_CHUNK_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
