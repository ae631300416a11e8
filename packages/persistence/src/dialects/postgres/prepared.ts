import { createHash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { LRUCache } from 'lru-cache';
import type pg from 'pg';

/**
 * Statements up to this length run as named prepared statements: the store's hot paths (fence check, CAS update,
 * point reads, small appends) are parsed and planned once per connection. Longer ones (multi-row INSERTs of
 * hundreds of rows) vary in shape and stay unnamed, which bounds the prepared statements per connection.
 */
export const MAX_PREPARED_SQL_LENGTH = 4000;

/**
 * Names by statement text: the store issues the same few texts over and over, and a SHA-1 of each (up to 4,000
 * characters) per statement was ~1 % of a cluster history host's CPU under W1. Bounded, as the texts are.
 */
const names = new LRUCache<string, string>({ max: 1024 });

export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `odin_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}

class PreparingClient implements PostgresPoolClient {
  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') {
      return this.client.query(sqlOrCursor as never) as unknown as PostgresCursor<R>;
    }
    const values = [...(parameters ?? [])];
    // Parameterless statements (DDL, BEGIN/COMMIT) gain nothing from preparing.
    const config =
      values.length > 0 && sqlOrCursor.length <= MAX_PREPARED_SQL_LENGTH
        ? { name: statementName(sqlOrCursor), text: sqlOrCursor, values }
        : { text: sqlOrCursor, values };
    return this.client.query(config) as unknown as Promise<PostgresQueryResult<R>>;
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

/** Hands Kysely clients that run its statements as named prepared statements. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => new PreparingClient(await pool.connect()),
    end: () => pool.end(),
  };
}
