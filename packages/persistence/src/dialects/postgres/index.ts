import { sql } from 'kysely';
import type { ServerTarget } from '../../connection-url.js';
import { connectionFailureTest, errorCode } from '../driver-errors.js';
import type { ParameterType, SqlDialect } from '../sql-dialect.js';
import {
  addColumnIfNotExists,
  createIndexIfNotExists,
  dropIndexIfExists,
  createTableWithIndexes,
  likePrefix,
  insertIfAbsentOnConflict,
  updateFromValues,
  upsertIfNewerOnConflict,
  upsertOnConflict,
} from '../standard-sql.js';
import { readPostgresRowArrays } from './column-arrays.js';
import { createPostgresDatabase, createPostgresKysely, dropPostgresDatabase, pipelineOf } from './connect.js';

const CONNECTION_CODES = new Set<string | number>([
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
]);

const isConnectionFailure = connectionFailureTest(CONNECTION_CODES);

const CAST: Record<ParameterType, string> = {
  varchar: 'varchar',
  integer: 'integer',
  bigint: 'bigint',
  blob: 'bytea',
};

/** PostgreSQL 14+ through `pg`. */
export const postgres: SqlDialect<ServerTarget> = {
  name: 'postgres',

  createKysely: (target, options) => createPostgresKysely(target, options, isConnectionFailure),
  transactionPipeline: pipelineOf,
  createDatabase: createPostgresDatabase,
  dropDatabase: dropPostgresDatabase,

  columnTypes: {
    bigint: 'BIGINT',
    int: 'INTEGER',
    blob: 'BYTEA',
    json: 'JSONB',
    text: 'TEXT',
    double: 'DOUBLE PRECISION',
    // VARCHAR counts characters; ids are refused above 1,000 bytes before they get here, so 1,000 always fits.
    // Equality under PostgreSQL's deterministic collations is byte equality, and B-tree entries of up to ~2,700
    // bytes are indexable.
    id1000: 'VARCHAR(1000)',
  },
  createTable: createTableWithIndexes,
  addColumn: addColumnIfNotExists,
  createIndex: createIndexIfNotExists,
  // Widening a VARCHAR is a catalog change in PostgreSQL: no table rewrite, no index rebuild.
  alterColumnTypes: (table, changes) => [
    `ALTER TABLE ${table} ${changes.map((c) => `ALTER COLUMN ${c.column} TYPE ${c.type}`).join(', ')}`,
  ],
  // Heap tables: rows cannot live in an index (CLUSTER orders them once and is not kept up).
  keyRowsByPrimaryKey: () => [],
  dropIndexOnSingleWriter: () => [],
  dropIndex: dropIndexIfExists,

  lockForShare: sql`for share`,
  // One statement shape for any number of values, so it stays one prepared statement.
  integerIn: (column, values) => sql<boolean>`${sql.ref(column)} = any(${values}::integer[])`,
  readsFencesOneByOne: false,
  insertsInOneStatement: true,
  writesRowByRow: false,
  skipsConflictsInStatement: true,
  upsert: upsertOnConflict,
  upsertIfNewer: upsertIfNewerOnConflict,
  insertIfAbsent: insertIfAbsentOnConflict,
  readRowArrays: readPostgresRowArrays,
  updateFromRows: (update) =>
    updateFromValues(update, {
      parameter: (value, type) => sql`${value}::${sql.raw(CAST[type])}`,
      column: (name) => sql.raw(`v.${name}`),
      alias: (columns) => sql.raw(`v(${columns.join(', ')})`),
    }),

  startsWith: likePrefix,

  isUniqueViolation: (error) => errorCode(error) === '23505',
  // deadlock_detected, serialization_failure
  isRetryableAbort: (error) => errorCode(error) === '40P01' || errorCode(error) === '40001',
  isConnectionFailure,
};
