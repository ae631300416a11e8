import { InvalidConnectionUrlError } from '../contract.js';
import type { ServerTarget } from '../connection-url.js';

// Database names are interpolated into DDL (no parameters there), so only plain identifiers are accepted.
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The database name of a server URL, refused unless it is a plain identifier. */
export function checkedDatabaseName(target: ServerTarget): string {
  const name = target.database;
  if (!SAFE_NAME.test(name)) {
    throw new InvalidConnectionUrlError(
      `database name "${name}" in ${target.redacted} must be a plain identifier (letters, digits, underscore)`,
    );
  }
  return name;
}

/** The same server URL with another database (to connect while the named one does not exist yet). */
export function withDatabase(target: ServerTarget, database: string): string {
  const u = new URL(target.url);
  u.pathname = `/${database}`;
  return u.toString();
}
