// The package's `migrate` script: applies the schema migrations to the database named by
// HUGO_ORCHESTRATOR_DB_CONNECTION, as `hugo-orchestrator db migrate` does without the CLI around it. Exit code 0 on
// success, 1 with a one-line reason otherwise.
import { redactConnectionUrl } from './connection-url.js';
import { PersistenceError } from './contract.js';
import { connectionUrlFromEnv, migrateDatabase } from './open-store.js';

try {
  const url = connectionUrlFromEnv();
  const outcome = await migrateDatabase(url);
  const what = outcome.applied.length === 0 ? 'already up to date' : `applied ${outcome.applied.join(', ')}`;
  console.log(
    `odin schema at ${redactConnectionUrl(url)}: version ${outcome.from} -> ${outcome.to} (${what})`,
  );
} catch (error) {
  console.error(error instanceof PersistenceError ? error.message : error);
  process.exitCode = 1;
}
