import type { ConnectionTarget } from '../connection-url.js';
import type { DialectName } from '../contract.js';
import { mysql } from './mysql/index.js';
import { postgres } from './postgres/index.js';
import type { SqlDialect } from './sql-dialect.js';
import { sqlite } from './sqlite/index.js';

const DIALECTS = { postgres, mysql, sqlite } satisfies Record<DialectName, SqlDialect<never>>;

/**
 * The dialect object for a parsed connection URL: the one place that looks at which database it is. Its
 * target-taking methods are to be called with this same target.
 */
export function dialectFor(target: ConnectionTarget): SqlDialect {
  return DIALECTS[target.dialect];
}
