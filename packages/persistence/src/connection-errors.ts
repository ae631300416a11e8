import type {
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import type { CompiledQuery } from 'kysely';
import { DatabaseUnavailableError } from './contract.js';

// Failures of the connection itself, not of the statement: refused, reset, killed, server shutting down, I/O.
const CONNECTION_CODES = new Set<string | number>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  1927, // ER_CONNECTION_KILLED
  2013, // CR_SERVER_LOST
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
]);

const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection is closed/i,
  /not queryable/i, // pg: a later statement on a client whose connection died
  /connection is in closed state/i, // mysql2: the same
];

export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; errno?: unknown; message?: unknown; fatal?: unknown };
  if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('SQLITE_IOERR')))
    return true;
  if (typeof e.errno === 'number' && CONNECTION_CODES.has(e.errno)) return true;
  return typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => m.test(e.message as string));
}

function mapped(error: unknown, url: string): unknown {
  if (error instanceof DatabaseUnavailableError || !isConnectionFailure(error)) return error;
  const wrapped = new DatabaseUnavailableError(url, messageOf(error));
  wrapped.cause = error;
  return wrapped;
}

async function guard<T>(url: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapped(error, url);
  }
}

class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly url: string,
  ) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return guard(this.url, () => this.inner.executeQuery<R>(compiled));
  }

  streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(compiled, chunkSize);
  }
}

const unwrap = (c: DatabaseConnection) => (c instanceof GuardedConnection ? c.inner : c);

/**
 * Reports a lost or unreachable database as DatabaseUnavailableError (URL without password) instead of a driver
 * error, so callers can tell "the database is down, retry later" from a bug. A rollback that fails because the
 * connection is gone is not an error: the server has already undone the transaction.
 */
class GuardedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly url: string,
  ) {}

  init(): Promise<void> {
    return guard(this.url, () => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const c = await guard(this.url, () => this.inner.acquireConnection());
    return new GuardedConnection(c, this.url);
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guard(this.url, () => this.inner.beginTransaction(unwrap(c), settings));
  }

  commitTransaction(c: DatabaseConnection): Promise<void> {
    return guard(this.url, () => this.inner.commitTransaction(unwrap(c)));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(unwrap(c));
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
    }
  }

  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(c));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export function guardedDialect(dialect: Dialect, url: string): Dialect {
  return {
    createDriver: (): Driver => new GuardedDriver(dialect.createDriver(), url),
    createQueryCompiler: (): QueryCompiler => dialect.createQueryCompiler(),
    createAdapter: (): DialectAdapter => dialect.createAdapter(),
    // biome-ignore lint/suspicious/noExplicitAny: Kysely's introspector is generic over any database.
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => dialect.createIntrospector(db),
  };
}

/** A driver error's message; pg reports a refused dual-stack connect as an AggregateError with none. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}
