import { sql } from 'kysely';
import type { ServerTarget } from '../../connection-url.js';
import { connectionFailureTest, errorCode } from '../driver-errors.js';
import type { SqlDialect } from '../sql-dialect.js';
import { createMysqlDatabase, createMysqlKysely, dropMysqlDatabase } from './connect.js';
import { likePrefix } from '../standard-sql.js';
import {
  addColumn,
  alterColumnTypes,
  createIndex,
  createTable,
  dropIndex,
  insertIfAbsent,
  updateFromRows,
  upsert,
  upsertIfNewer,
} from './statements.js';

const CONNECTION_CODES = new Set<string | number>([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  1927, // ER_CONNECTION_KILLED
  2013, // CR_SERVER_LOST
]);

const isConnectionFailure = connectionFailureTest(CONNECTION_CODES);

function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ER_DUP_ENTRY' || code === 1062;
}

/** MySQL 8.0.19+ and MariaDB 10.11 through `mysql2`. */
export const mysql: SqlDialect<ServerTarget> = {
  name: 'mysql',

  createKysely: (target, options) => createMysqlKysely(target, options, isConnectionFailure),
  createDatabase: createMysqlDatabase,
  dropDatabase: dropMysqlDatabase,

  columnTypes: {
    bigint: 'BIGINT',
    int: 'INTEGER',
    blob: 'LONGBLOB',
    json: 'LONGTEXT',
    text: 'TEXT',
    double: 'DOUBLE',
    // Bytes, not utf8mb4 characters: VARCHAR(1000) utf8mb4 may take 4,000 bytes, over InnoDB's 3,072-byte index
    // key limit, and these columns lead composite primary keys. 1,000 bytes of UTF-8 is exactly Temporal's limit;
    // binary comparison is exact (utf8mb4_bin pads trailing spaces, so 'a' and 'a ' were one id). mysql2 would
    // return the values as Buffers: connect.ts decodes every VARCHAR/VARBINARY value as UTF-8 in one typeCast.
    id1000: 'VARBINARY(1000)',
  },
  createTable,
  addColumn,
  createIndex,
  alterColumnTypes,
  // InnoDB already keeps every table's rows in its primary key.
  keyRowsByPrimaryKey: () => [],
  dropIndexOnSingleWriter: () => [],
  dropIndex,

  lockForShare: sql`lock in share mode`,
  integerIn: (column, values) => sql<boolean>`${sql.ref(column)} in (${sql.join(values)})`,
  readsFencesOneByOne: false,
  insertsInOneStatement: false,
  writesRowByRow: false,
  skipsConflictsInStatement: false,
  upsert,
  upsertIfNewer,
  insertIfAbsent: (insert, key) => insertIfAbsent(insert, key, isUniqueViolation),
  updateFromRows,

  // utf8mb4_bin makes LIKE case-sensitive.
  startsWith: likePrefix,

  isUniqueViolation,
  isRetryableAbort: (error) => {
    const code = errorCode(error);
    return code === 'ER_LOCK_DEADLOCK' || code === 1213;
  },
  isConnectionFailure,
};
