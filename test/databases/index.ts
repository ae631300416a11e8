// The PostgreSQL and MySQL servers the tests and benches use (ODIN_TEST_PG_URL, ODIN_TEST_MYSQL_URL; .ci/run starts
// them on these defaults), and fresh databases on them that a test drops when it is done.
import { randomBytes } from 'node:crypto';
import { createDatabaseIfMissing, dropDatabase } from '@odin/persistence';

export const PG_ADMIN_URL = process.env.ODIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env.ODIN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/** The URL of database `name` on the server of `adminUrl`. */
export function databaseOn(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates `<prefix>_<random>` on the server of `adminUrl` and returns its URL. */
export async function throwawayDatabase(adminUrl: string, prefix: string): Promise<ThrowawayDatabase> {
  const url = databaseOn(adminUrl, `${prefix}_${randomBytes(5).toString('hex')}`);
  await createDatabaseIfMissing(url);
  return { url, drop: () => dropDatabase(url) };
}
