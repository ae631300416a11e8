import type { ConnectionTarget } from '../connection-url.js';
import type { DialectName } from '../contract.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * Each dialect's module, imported when a URL first names it: a process speaks to one database, and loading the
 * other drivers (mysql2, pg) with it cost start-dev ~100 ms of module loading before it was ready.
 */
const DIALECTS: Record<DialectName, () => Promise<SqlDialect<never>>> = {
  postgres: async () => (await import('./postgres/index.js')).postgres,
  mysql: async () => (await import('./mysql/index.js')).mysql,
  sqlite: async () => (await import('./sqlite/index.js')).sqlite,
};

/**
 * The dialect object for a parsed connection URL: the one place that looks at which database it is. Its
 * target-taking methods are to be called with this same target.
 */
export async function dialectFor(target: ConnectionTarget): Promise<SqlDialect> {
  return (await DIALECTS[target.dialect]()) as SqlDialect;
}
