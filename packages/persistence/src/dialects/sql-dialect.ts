import type {
  CompiledQuery,
  InsertQueryBuilder,
  InsertResult,
  Kysely,
  QueryResult,
  RawBuilder,
  UpdateObject,
} from 'kysely';
import type { ConnectionTarget } from '../connection-url.js';
import type { DialectName } from '../contract.js';
import type { Tables } from '../tables.js';

export type TableName = keyof Tables & string;
export type ColumnOf<TB extends TableName> = keyof Tables[TB] & string;
export type Insert<TB extends TableName> = InsertQueryBuilder<Tables, TB, InsertResult>;

/** Column types of the schema, named once; each dialect says what they are in its DDL. */
export interface ColumnTypes {
  bigint: string;
  int: string;
  blob: string;
  json: string;
  text: string;
  /** 8-byte IEEE floating point. */
  double: string;
  /**
   * A Temporal id of up to MAX_ID_BYTES bytes of UTF-8 (workflow ids), indexable inside composite keys and compared
   * exactly: case-sensitive, trailing spaces significant.
   */
  id1000: string;
}

/** A table `keyRowsByPrimaryKey` rebuilds: its columns (each `name TYPE …`, in order) and primary key columns. */
export interface KeyedTable {
  name: string;
  columns: readonly string[];
  primaryKey: string;
  /** The secondary indexes the rebuilt table has (any other index of the old table is gone with it). */
  indexes: readonly IndexDef[];
}

/** A column whose type `alterColumnTypes` changes, with its nullability (MySQL restates it). */
export interface ColumnTypeChange {
  column: string;
  type: string;
  nullable: boolean;
}

export interface IndexDef {
  name: string;
  columns: string;
  unique?: boolean;
}

/** Many rows of an INSERT as one array parameter per column (see `SqlDialect.readRowArrays`). */
export interface RowArrays {
  /**
   * The SELECT an INSERT of `rows` into `table` takes them from, and its parameters (one array per column, in
   * `columns` order); undefined when the INSERT should list VALUES instead: for a column not in the schema read at
   * start, or rows few enough that a VALUES list costs less.
   */
  insertSource(
    table: string,
    columns: readonly string[],
    rows: readonly object[],
  ): { select: RawBuilder<unknown>; parameters: unknown[] } | undefined;
}

/** What a parameter of a row in an `updateFromRows` statement holds (PostgreSQL must be told). */
export type ParameterType = 'varchar' | 'integer' | 'bigint' | 'blob';

/**
 * One UPDATE of many rows of `table` (aliased `w`) from a list of parameter rows (aliased `v`): each target row is
 * joined on `key` to its parameter row and changed only where `where` holds. `set` and `where` are written against
 * the column references that `v(column)` returns, and against `w.` for the target's own columns.
 */
export interface RowsUpdate {
  table: TableName;
  columns: readonly { name: string; type: ParameterType }[];
  /** Parameter rows, each in `columns` order. */
  rows: readonly (readonly unknown[])[];
  /** Columns of the target equal to the parameter column of the same name. */
  key: readonly string[];
  set: (
    v: (column: string) => RawBuilder<unknown>,
  ) => readonly [column: string, value: RawBuilder<unknown>][];
  where: (v: (column: string) => RawBuilder<unknown>) => RawBuilder<unknown>;
}

/** Which rows `upsertIfNewer` replaces: same `key`, stored `version` not above the new one. */
export interface NewerRowSpec<TB extends TableName> {
  table: TB;
  key: readonly ColumnOf<TB>[];
  columns: readonly ColumnOf<TB>[];
  version: ColumnOf<TB>;
}

export interface ConnectOptions {
  /** Connections per pool; SQLite has its one connection. */
  poolSize: number;
  /** PostgreSQL: run hot statements as named prepared statements (off for PgBouncer in transaction mode < 1.21). */
  preparedStatements: boolean;
}

/**
 * Everything in which the three databases differ, as one object per dialect (`dialects/<name>/`): connections and
 * pools, the DDL's types, upserts, locking reads, many-row updates, and how their errors read. The stores and the
 * migrations speak through it and never ask which database they are on; `dialectFor` in `dialects/index.ts` picks
 * the object from the connection URL.
 *
 * `Target` is the kind of connection URL the dialect opens.
 */
export interface SqlDialect<Target extends ConnectionTarget = ConnectionTarget> {
  readonly name: DialectName;

  // --- connections and databases -------------------------------------------------------------------------------

  /** The Kysely handle on a pool (or the SQLite file), with connection failures reported as DatabaseUnavailableError. */
  createKysely(target: Target, options: ConnectOptions): Kysely<Tables>;
  /** The pipelined transactions on the pool of a handle `createKysely` made, where the dialect offers them. */
  transactionPipeline?(db: Kysely<Tables>): TransactionPipeline | undefined;
  /** Creates the database the URL names when it does not exist; whether it did. */
  createDatabase(target: Target): Promise<boolean>;
  /** Drops the database the URL names (SQLite: deletes the file and its WAL). */
  dropDatabase(target: Target): Promise<void>;

  // --- schema --------------------------------------------------------------------------------------------------

  readonly columnTypes: ColumnTypes;
  /** Idempotent statements (IF NOT EXISTS) that create a table and its indexes. */
  createTable(name: string, body: string, indexes: readonly IndexDef[]): string[];
  /**
   * Statements that add a column to an existing table, idempotent where DDL is not transactional (MySQL: a
   * migration interrupted half-way is run again). `definition` holds no quote.
   */
  addColumn(table: string, column: string, definition: string): string[];
  /** Statements that add an index to an existing table, idempotent as `addColumn`. */
  createIndex(table: string, index: IndexDef): string[];
  /**
   * Statements that give existing columns of a table a new type, keeping their rows and the indexes over them;
   * idempotent. None where the database does not enforce the declared type (SQLite).
   */
  alterColumnTypes(table: string, changes: readonly ColumnTypeChange[]): string[];
  /**
   * Statements that make an existing table keep its rows in its primary key's B-tree, where the database otherwise
   * keeps two (SQLite's rowid tables: the rows by rowid, and the key in an index beside them, both written by every
   * insert), keeping every row. None where rows already live in the primary key (MySQL's InnoDB) or cannot
   * (PostgreSQL's heap tables): the table stays as it is there, indexes included.
   */
  keyRowsByPrimaryKey(table: KeyedTable): string[];
  /**
   * Statements that drop an index where the pages each commit writes bound the throughput: SQLite, whose one
   * connection writes every index of a changed row inside each commit, on the thread that serves every request.
   * Callers drop only an index no statement needs there, or one whose queries another index with the same leading
   * equality columns also serves. None on PostgreSQL and MySQL (the index stays): their sessions write in parallel,
   * and their planners choose such an index by statistics for a selective range.
   */
  dropIndexOnSingleWriter(index: string): string[];
  /**
   * Statements that drop an index of a table on every database, idempotent as `addColumn` (and a no-op where the
   * index is already gone). For an index no statement reads at all, which every write pays for.
   */
  dropIndex(table: string, index: string): string[];

  // --- statements ----------------------------------------------------------------------------------------------

  /** Appended to a SELECT: share-locks the rows read until the transaction ends (SQLite locks the whole file). */
  readonly lockForShare: RawBuilder<unknown>;
  /** `column IN (values)` over integers, in the form the dialect plans best. */
  integerIn(column: string, values: readonly number[]): RawBuilder<boolean>;
  /**
   * Whether several shards' fences are read one point read at a time rather than in one statement: cheaper where
   * a statement costs no round trip and there is one writer anyway (SQLite).
   */
  readonly readsFencesOneByOne: boolean;
  /**
   * Whether a commit's appends to several tables go as one statement (data-modifying common table expressions):
   * worth it where each statement is a round trip, and only where the database supports INSERT in a WITH (PostgreSQL).
   */
  readonly insertsInOneStatement: boolean;
  /**
   * Whether a many-row write (an INSERT's VALUES list, the group commit's UPDATE … FROM (VALUES …), the outbox
   * acks' DELETE of many keys) goes to the driver as one single-row statement and every row's parameters
   * (row-by-row.ts), which the driver runs row after row as one statement: where a statement costs no round trip
   * (SQLite), this costs no more than the many-row statement and needs one statement text for every row count.
   */
  readonly writesRowByRow: boolean;
  /** The insert, turned into an upsert: a row whose `key` exists gets `set` instead. */
  upsert<TB extends TableName>(
    insert: Insert<TB>,
    key: readonly ColumnOf<TB>[],
    set: UpdateObject<Tables, TB>,
  ): Insert<TB>;
  /**
   * Inserts the rows; a row whose `key` exists takes the new `columns` and `version` only when the stored version
   * is not newer. Rows may arrive out of order, and a stale one must never overwrite a newer one.
   */
  upsertIfNewer<TB extends TableName>(insert: Insert<TB>, spec: NewerRowSpec<TB>): Insert<TB>;
  /**
   * Runs the single-row insert unless a row with the same `key` exists; whether it inserted. Inside a transaction
   * the conflict must not abort it.
   */
  insertIfAbsent<TB extends TableName>(insert: Insert<TB>, key: readonly ColumnOf<TB>[]): Promise<boolean>;
  /**
   * Whether `INSERT … ON CONFLICT (key) DO NOTHING` skips an existing row within the statement (PostgreSQL, SQLite).
   * Such an insert has a fixed shape, so the store runs it through its compiled-statement cache; elsewhere it takes
   * `insertIfAbsent`.
   */
  readonly skipsConflictsInStatement: boolean;
  /** The UPDATE of many rows from parameter rows; its numAffectedRows counts the rows that matched. */
  updateFromRows(update: RowsUpdate): RawBuilder<unknown>;
  /**
   * Where the dialect sends the rows of a multi-row INSERT as one array per column (PostgreSQL's `unnest`), the form
   * for the schema's tables, read once the schema is current. Such a statement has one text for any number of rows,
   * so the database parses it once per connection and keeps its plan, where a VALUES list makes a new text, and a
   * new parse and plan, for every row count.
   */
  readRowArrays?(db: Kysely<Tables>): Promise<RowArrays>;
  /**
   * `column` begins with `prefix`, case-sensitively, no character of the prefix being a wildcard (the prefix is a
   * bound parameter, escaped for the pattern syntax the dialect uses).
   */
  startsWith(column: RawBuilder<unknown>, prefix: string): RawBuilder<boolean>;

  // --- errors --------------------------------------------------------------------------------------------------

  isUniqueViolation(error: unknown): boolean;
  /** The database rolled the whole transaction back on its own (deadlock victim, serialization failure). */
  isRetryableAbort(error: unknown): boolean;
  /** The connection itself failed (refused, reset, killed, server shut down, disk I/O): not the statement. */
  isConnectionFailure(error: unknown): boolean;
}

/** What the statements of the first step decide: the statements to commit with, and the caller's value. */
export interface PipelineDecision<T> {
  readonly statements: readonly CompiledQuery[];
  readonly value: T;
}

/**
 * A statement of a pipelined transaction, with the number of rows it must change (a SELECT: return) for the
 * transaction to commit. The database checks that count itself, so nothing needs its answer before COMMIT.
 */
export interface CheckedStatement {
  readonly query: CompiledQuery;
  readonly expectRows?: number;
}

/**
 * A transaction as pipelined writes (PostgreSQL), or run whole on the connection past Kysely (SQLite); the store
 * context carries it where the dialect has one.
 */
export interface TransactionPipeline {
  /**
   * Writes BEGIN, `statements` and COMMIT at once: one write and one wait for the whole transaction. True once
   * committed; false when a statement failed or a row count did not hold, and nothing was written: the caller re-runs
   * the transaction the ordinary way, which reports the precise failure. Connection failures throw, as the ordinary
   * way does.
   */
  commitInOneWrite(statements: readonly CheckedStatement[]): Promise<boolean>;
  /**
   * For a transaction whose last statements depend on what its first ones read: writes BEGIN and `first` at once;
   * `decide` reads their results and returns the statements to write with COMMIT (the second and last write), or
   * null to roll back. Resolves to the decision's value once committed, or to null when `decide`, a statement or a
   * row count rejected the transaction, which then changed nothing (as `commitInOneWrite`).
   */
  run<T>(
    first: readonly CheckedStatement[],
    decide: (results: readonly QueryResult<unknown>[]) => PipelineDecision<T> | null,
  ): Promise<T | null>;
}
