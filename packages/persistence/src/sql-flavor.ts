import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { DialectName, PersistenceLimits } from './contract.js';
import type { Tables } from './tables.js';

/** What every sub-store needs: the Kysely handle, which SQL it speaks, and the configured limits. */
export interface StoreContext {
  db: Kysely<Tables>;
  dialect: DialectName;
  limits: PersistenceLimits;
}

export type Executor = Kysely<Tables> | Transaction<Tables>;

/** Multi-row INSERT chunk: well under every driver's parameter limit (SQLite 32766, PG/MySQL 65535). */
export const INSERT_CHUNK_ROWS = 200;

function errorCode(error: unknown): string | number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; errno?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.errno === 'number') return e.errno;
  return undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === '23505' || // PostgreSQL unique_violation
    code === 'ER_DUP_ENTRY' ||
    code === 1062 ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** Failures where the database rolled the whole transaction back on its own and a retry can succeed. */
export function isRetryableTransactionFailure(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === '40P01' || // PostgreSQL deadlock_detected
    code === '40001' || // serialization_failure
    code === 'ER_LOCK_DEADLOCK' ||
    code === 1213 ||
    code === 'SQLITE_BUSY'
  );
}

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
      if (attempt >= TRANSACTION_ATTEMPTS || !isRetryableTransactionFailure(error)) throw error;
    }
  }
}

/** Row-lock clause appended to a SELECT: shared (fence checks) or exclusive. SQLite locks the whole file instead. */
export function lockClause(dialect: DialectName, mode: 'share' | 'update') {
  if (dialect === 'sqlite') return sql``;
  if (mode === 'update') return sql`for update`;
  return dialect === 'postgres' ? sql`for share` : sql`lock in share mode`;
}

export function chunks<T>(items: readonly T[], size = INSERT_CHUNK_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
