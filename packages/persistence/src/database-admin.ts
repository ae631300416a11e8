import { type ConnectionTarget, parseConnectionUrl } from './connection-url.js';
import { DatabaseUnavailableError, PersistenceError } from './contract.js';
import { messageOf } from './dialects/driver-errors.js';
import { dialectFor } from './dialects/index.js';

/** Runs an admin step on the URL's database; a driver error there means the server could not be reached. */
async function administer<T>(url: string, step: (target: ConnectionTarget) => Promise<T>): Promise<T> {
  const target = parseConnectionUrl(url);
  try {
    return await step(target);
  } catch (error) {
    if (error instanceof PersistenceError) throw error;
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
}

/**
 * Creates the database the URL names when it does not exist (the `db create` step before `migrate`). SQLite
 * creates its file on open, so nothing to do there. Returns whether a database was created.
 */
export function createDatabaseIfMissing(url: string): Promise<boolean> {
  return administer(url, async (target) => (await dialectFor(target)).createDatabase(target));
}

/** Drops the database (or deletes the SQLite file and its WAL). For tests, benches and teardown tooling. */
export function dropDatabase(url: string): Promise<void> {
  return administer(url, async (target) => (await dialectFor(target)).dropDatabase(target));
}
