import type { LockScope } from '@odin/hugo';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteAdapter,
  type Dialect,
  type DialectAdapter,
  type Kysely,
  type DatabaseIntrospector,
  type QueryCompiler,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { TransactionPipeline } from '../sql-dialect.js';
import { sqliteTransactionPipeline } from './pipeline.js';
import {
  type OdinSqliteOptions,
  runStatement,
  type SharedConnection,
  sharedConnection,
} from './shared-connection.js';

export type { OdinSqliteOptions } from './shared-connection.js';

/** Statements that end the transaction without committing it: nothing to make durable. */
const ROLLBACK = /^\s*ROLLBACK\b/i;

/**
 * One acquisition of the connection, holding its own lock. A write that commits releases the lock at once and only
 * then waits for the fsync, so the next transaction runs while this one's sync is in flight; the later
 * releaseConnection is then a no-op. A statement issued after such an early release (a caller keeping the
 * connection, e.g. db.connection()) takes the lock again first.
 */
class SqliteConnectionHandle implements DatabaseConnection {
  #lock: LockScope | undefined;
  #closed = false;

  constructor(
    private readonly shared: SharedConnection,
    lock: LockScope,
  ) {
    this.#lock = lock;
  }

  /** Whether this acquisition still owns the connection (false once its transaction committed). */
  get holdsLock(): boolean {
    return this.#lock !== undefined;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#closed) throw new Error('the SQLite connection was used after it was released');
    if (this.#lock === undefined) this.#lock = await this.shared.mutex.lock();
    const { db, durability } = this.shared;
    const wasInTransaction = db.inTransaction;
    const { result, changes } = runStatement<R>(this.shared, compiled);
    if (durability === undefined || db.inTransaction) return result;
    const committed = wasInTransaction ? !ROLLBACK.test(compiled.sql) : changes > 0;
    if (!committed) return result;
    this.#unlock();
    await durability.afterCommit();
    return result;
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by the store; the method exists for the interface.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported by the Odin SQLite driver');
  }

  close(): void {
    this.#closed = true;
    this.#unlock();
  }

  #unlock(): void {
    const lock = this.#lock;
    this.#lock = undefined;
    lock?.release();
  }
}

class OdinSqliteDriver implements Driver {
  constructor(
    private readonly db: BetterSqlite3.Database,
    readonly shared: SharedConnection,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteConnectionHandle(this.shared, await this.shared.mutex.lock());
  }

  // IMMEDIATE takes the write lock up front, so a transaction never fails half-way with SQLITE_BUSY on upgrade
  // when another process shares the file; busy_timeout makes it wait instead.
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  // A handle that gave up the lock has committed (only its fsync failed); the open transaction, if any, belongs
  // to the next holder and must not be rolled back.
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if ((connection as SqliteConnectionHandle).holdsLock && this.db.inTransaction) {
      await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as SqliteConnectionHandle).close();
  }

  async destroy(): Promise<void> {
    await this.shared.durability?.idle();
    this.shared.walFile?.close();
    this.db.close();
  }
}

/**
 * SQLite runs DDL inside transactions, though Kysely's adapter says it does not. Saying so makes Kysely's Migrator
 * run all pending migrations in one transaction, which this driver begins IMMEDIATE: the database's write lock
 * then serialises concurrent migrators, also in other processes, and a failed migration leaves nothing behind.
 */
class OdinSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class OdinSqliteDialect implements Dialect {
  readonly #shared: SharedConnection;

  constructor(
    private readonly db: BetterSqlite3.Database,
    options: OdinSqliteOptions = {},
  ) {
    this.#shared = sharedConnection(db, options);
  }

  createDriver(): Driver {
    return new OdinSqliteDriver(this.db, this.#shared);
  }

  /** Transactions run whole on the connection, past Kysely (pipeline.ts): the store's group commit takes them. */
  transactionPipeline(isConnectionFailure: (error: unknown) => boolean, url: string): TransactionPipeline {
    return sqliteTransactionPipeline(this.#shared, isConnectionFailure, url);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new OdinSqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's introspector is generic over any database.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
