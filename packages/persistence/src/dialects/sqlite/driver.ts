import { type LockScope, Mutex } from '@odin/hugo';
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
import { resolve } from 'node:path';
import { rowWidth } from '../row-by-row.js';
import { StatementCache } from './statement-cache.js';
import { GroupSync, WalFileSync } from './wal-sync.js';

/** Statements that end the transaction without committing it: nothing to make durable. */
const ROLLBACK = /^\s*ROLLBACK\b/i;

interface SharedConnection {
  db: BetterSqlite3.Database;
  statements: StatementCache;
  /** Hands the one connection to one caller at a time, in arrival order (a transaction holds it until commit). */
  mutex: Mutex;
  totalChanges: BetterSqlite3.Statement;
  runRowByRow: RowByRowRunner;
  /** Undefined for in-memory databases: nothing to make durable. */
  durability: GroupSync | undefined;
}

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
    const { db, statements, durability } = this.shared;
    const stmt = statements.prepare(compiled.sql);
    const params = compiled.parameters as unknown[];
    const wasInTransaction = db.inTransaction;
    const width = rowWidth(compiled);
    let result: QueryResult<R>;
    let changes: number;
    if (width !== undefined) {
      changes = this.shared.runRowByRow(stmt, params, width);
      result = { numAffectedRows: BigInt(changes), rows: [] };
    } else if (stmt.reader && stmt.readonly) {
      result = { rows: stmt.all(...params) as R[] };
      changes = 0;
    } else if (stmt.reader) {
      // … RETURNING, or a PRAGMA such as journal_mode that SQLite does not call read-only: only a change of
      // total_changes() tells a real write.
      const before = this.shared.totalChanges.get() as number;
      result = { rows: stmt.all(...params) as R[] };
      changes = (this.shared.totalChanges.get() as number) - before;
    } else {
      changes = stmt.run(...params).changes;
      result = { numAffectedRows: BigInt(changes), rows: [] };
    }
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

/** Runs a single-row statement for every row of `params`, `width` to a row; returns the rows changed. */
type RowByRowRunner = (stmt: BetterSqlite3.Statement, params: readonly unknown[], width: number) => number;

/**
 * The connection's RowByRowRunner (row-by-row.ts): the rows run as one statement would, inside better-sqlite3's
 * transaction function, which is a savepoint when a transaction is open (a failing row undoes the rows before it,
 * not the transaction) and a transaction of its own otherwise.
 */
function rowByRowRunner(db: BetterSqlite3.Database): RowByRowRunner {
  return db.transaction((stmt: BetterSqlite3.Statement, params: readonly unknown[], width: number) => {
    if (stmt.reader) throw new Error('a row-by-row statement is an INSERT that returns no rows');
    let changes = 0;
    for (let at = 0; at < params.length; at += width)
      changes += stmt.run(params.slice(at, at + width)).changes;
    return changes;
  });
}

export interface OdinSqliteOptions {
  /**
   * Makes everything committed so far durable (an fsync of the WAL by default). Ignored for in-memory databases.
   * Injectable so tests control its timing.
   */
  syncWal?: () => Promise<void>;
}

class OdinSqliteDriver implements Driver {
  readonly #shared: SharedConnection;
  readonly #walFile: WalFileSync | undefined;

  constructor(
    private readonly db: BetterSqlite3.Database,
    options: OdinSqliteOptions,
  ) {
    const walFile = db.memory || options.syncWal ? undefined : new WalFileSync(resolve(db.name));
    this.#walFile = walFile;
    const sync = options.syncWal ?? (walFile ? () => walFile.sync() : undefined);
    const durability = db.memory || sync === undefined ? undefined : new GroupSync(sync, db.name);
    this.#shared = {
      db,
      statements: new StatementCache(db),
      mutex: new Mutex(),
      totalChanges: db.prepare('SELECT total_changes()').pluck(),
      runRowByRow: rowByRowRunner(db),
      durability,
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SqliteConnectionHandle(this.#shared, await this.#shared.mutex.lock());
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
    await this.#shared.durability?.idle();
    this.#walFile?.close();
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
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly options: OdinSqliteOptions = {},
  ) {}

  createDriver(): Driver {
    return new OdinSqliteDriver(this.db, this.options);
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
