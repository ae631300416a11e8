import { type Kysely, sql } from 'kysely';
import type { ConnectionTarget } from './connection-url.js';
import { DatabaseUnavailableError } from './contract.js';
import { messageOf } from './dialects/driver-errors.js';
import { dialectFor } from './dialects/index.js';
import type { SqlDialect, TransactionPipeline } from './dialects/sql-dialect.js';
import type { Tables } from './tables.js';

export const DEFAULT_POOL_SIZE = 20;

export interface OpenDatabase {
  db: Kysely<Tables>;
  dialect: SqlDialect;
  /** Pipelined transactions on the same pool, where the dialect has them (PostgreSQL). */
  pipeline: TransactionPipeline | undefined;
  /** The URL without its password, for messages. */
  redactedUrl: string;
}

export interface DatabaseOptions {
  poolSize?: number;
  /** PostgreSQL: run hot statements as named prepared statements (off for PgBouncer in transaction mode < 1.21). */
  preparedStatements?: boolean;
}

/** Opens a pool (or the SQLite file) and proves it answers; DatabaseUnavailableError otherwise. */
export async function openDatabase(
  target: ConnectionTarget,
  options: DatabaseOptions = {},
): Promise<OpenDatabase> {
  const dialect = await dialectFor(target);
  let db: Kysely<Tables>;
  try {
    db = dialect.createKysely(target, {
      poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
      preparedStatements: options.preparedStatements ?? true,
    });
  } catch (error) {
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    if (error instanceof DatabaseUnavailableError) throw error;
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
  return { db, dialect, pipeline: dialect.transactionPipeline?.(db), redactedUrl: target.redacted };
}
