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
import { DatabaseUnavailableError } from '../contract.js';

// Failures of the network connection, reported alike by every client that has one: refused, reset, timed out,
// unreachable. Each dialect adds its own driver's codes (dialects/<name>/errors.ts).
const NETWORK_CODES = new Set<string | number>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection is closed/i,
  /not queryable/i, // pg: a later statement on a client whose connection died
  /connection is in closed state/i, // mysql2: the same
];

/**
 * A dialect's test for "the connection failed, not the statement": the network failures above, the messages
 * clients give a dead connection, and the driver's own codes (exact, or any code that starts with a prefix).
 */
export function connectionFailureTest(
  driverCodes: ReadonlySet<string | number>,
  driverCodePrefixes: readonly string[] = [],
): (error: unknown) => boolean {
  const known = (code: string | number) => NETWORK_CODES.has(code) || driverCodes.has(code);
  return (error) => {
    if (error instanceof DatabaseUnavailableError) return true;
    if (typeof error !== 'object' || error === null) return false;
    const e = error as { code?: unknown; errno?: unknown; message?: unknown };
    if (typeof e.code === 'string') {
      const code = e.code;
      if (known(code) || driverCodePrefixes.some((prefix) => code.startsWith(prefix))) return true;
    }
    if (typeof e.errno === 'number' && known(e.errno)) return true;
    return typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => m.test(e.message as string));
  };
}

/** The numeric or string code a driver put on its error, if any. */
export function errorCode(error: unknown): string | number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; errno?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (typeof e.errno === 'number') return e.errno;
  return undefined;
}

type FailureTest = (error: unknown) => boolean;

/** `error` as DatabaseUnavailableError against `url` when it is a connection failure; otherwise unchanged. */
export function unavailableOrSame(error: unknown, url: string, isConnectionFailure: FailureTest): unknown {
  if (error instanceof DatabaseUnavailableError || !isConnectionFailure(error)) return error;
  const wrapped = new DatabaseUnavailableError(url, messageOf(error));
  wrapped.cause = error;
  return wrapped;
}

interface Guard {
  url: string;
  isConnectionFailure: FailureTest;
}

async function guard<T>(g: Guard, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw unavailableOrSame(error, g.url, g.isConnectionFailure);
  }
}

class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly g: Guard,
  ) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return guard(this.g, () => this.inner.executeQuery<R>(compiled));
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
    private readonly g: Guard,
  ) {}

  init(): Promise<void> {
    return guard(this.g, () => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const c = await guard(this.g, () => this.inner.acquireConnection());
    return new GuardedConnection(c, this.g);
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guard(this.g, () => this.inner.beginTransaction(unwrap(c), settings));
  }

  commitTransaction(c: DatabaseConnection): Promise<void> {
    return guard(this.g, () => this.inner.commitTransaction(unwrap(c)));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    try {
      await this.inner.rollbackTransaction(unwrap(c));
    } catch (error) {
      if (!this.g.isConnectionFailure(error)) throw error;
    }
  }

  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(c));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** `dialect` with its connection failures (as `isConnectionFailure` tells them) reported against `url`. */
export function guardedDialect(dialect: Dialect, url: string, isConnectionFailure: FailureTest): Dialect {
  return {
    createDriver: (): Driver => new GuardedDriver(dialect.createDriver(), { url, isConnectionFailure }),
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
