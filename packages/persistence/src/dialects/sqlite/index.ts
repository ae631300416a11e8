import { sql } from 'kysely';
import type { SqliteTarget } from '../../connection-url.js';
import { connectionFailureTest, errorCode } from '../driver-errors.js';
import type { SqlDialect } from '../sql-dialect.js';
import {
  createIndexIfNotExists,
  dropIndexIfExists,
  createTableWithIndexes,
  insertIfAbsentOnConflict,
  updateFromValues,
  upsertIfNewerOnConflict,
  upsertOnConflict,
} from '../standard-sql.js';
import { createSqliteKysely, deleteSqliteFile, pipelineOf } from './connect.js';
import { rebuildWithoutRowid } from './rebuild.js';

const isConnectionFailure = connectionFailureTest(
  new Set(['SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_FULL']),
  ['SQLITE_IOERR'], // and its extended codes (SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC, …)
);

/** Embedded SQLite through `better-sqlite3`: one connection, a file in WAL mode or `:memory:`. */
export const sqlite: SqlDialect<SqliteTarget> = {
  name: 'sqlite',

  createKysely: (target) => createSqliteKysely(target, isConnectionFailure),
  transactionPipeline: pipelineOf,
  // better-sqlite3 creates the file when it opens it.
  createDatabase: async () => false,
  dropDatabase: deleteSqliteFile,

  columnTypes: {
    bigint: 'INTEGER',
    int: 'INTEGER',
    blob: 'BLOB',
    json: 'TEXT',
    text: 'TEXT',
    double: 'REAL',
    id1000: 'TEXT',
  },
  createTable: createTableWithIndexes,
  // SQLite knows no ADD COLUMN IF NOT EXISTS, and needs none: its migrations run in one transaction.
  addColumn: (table, column, definition) => [`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`],
  createIndex: createIndexIfNotExists,
  // SQLite keeps a declared VARCHAR(n) as TEXT affinity and never enforces n: the columns already hold any length
  // (and it cannot change a column's type in place anyway). Its TEXT comparison is byte-exact (BINARY collation).
  alterColumnTypes: () => [],
  keyRowsByPrimaryKey: rebuildWithoutRowid,
  dropIndexOnSingleWriter: (index) => [`DROP INDEX IF EXISTS ${index}`],
  dropIndex: dropIndexIfExists,

  // Every write transaction holds the database's write lock from BEGIN IMMEDIATE on: no row locks to take.
  lockForShare: sql``,
  integerIn: (column, values) => sql<boolean>`${sql.ref(column)} in (${sql.join(values)})`,
  readsFencesOneByOne: true,
  insertsInOneStatement: false,
  writesRowByRow: true,
  skipsConflictsInStatement: true,
  upsert: upsertOnConflict,
  upsertIfNewer: upsertIfNewerOnConflict,
  insertIfAbsent: insertIfAbsentOnConflict,
  updateFromRows: (update) =>
    updateFromValues(update, {
      parameter: (value) => sql`${value}`,
      // SQLite names VALUES columns column1…columnN and accepts no column list on the alias.
      column: (_name, index) => sql.raw(`v.column${index + 1}`),
      alias: () => sql.raw('v'),
    }),

  // LIKE ignores ASCII case in SQLite; GLOB does not, and uses an index the same way. The prefix's wildcards
  // (*, ?, [) are made literal as one-character classes.
  startsWith: (column, prefix) =>
    sql<boolean>`${column} GLOB ${`${prefix.replace(/[*?[]/g, (c) => `[${c}]`)}*`}`,

  isUniqueViolation: (error) => {
    const code = errorCode(error);
    return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  },
  isRetryableAbort: (error) => errorCode(error) === 'SQLITE_BUSY',
  isConnectionFailure,
};
