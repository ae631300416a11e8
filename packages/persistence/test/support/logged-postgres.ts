// A Kysely handle on one PostgreSQL connection that records the text of every statement it runs, for tests that
// check which statements the store's builders produce.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

export function loggedPostgres<DB>(url: string, statements: string[]): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query.sql);
    },
  });
}
