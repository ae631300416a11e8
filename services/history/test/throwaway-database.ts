// A fresh, uniquely named database on a test server (PostgreSQL or MySQL), dropped by the test when it is done.
import { randomBytes } from 'node:crypto';
import { createDatabaseIfMissing, dropDatabase } from '@odin/persistence';

export const PG_ADMIN_URL = process.env['ODIN_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env['ODIN_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the server of `adminUrl` and returns its URL. */
export async function throwawayDatabase(adminUrl: string, prefix: string): Promise<ThrowawayDatabase> {
  const u = new URL(adminUrl);
  u.pathname = `/${prefix}_${randomBytes(5).toString('hex')}`;
  const url = u.toString();
  await createDatabaseIfMissing(url);
  return { url, drop: () => dropDatabase(url) };
}
