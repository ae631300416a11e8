import { z } from 'zod';
import { InvalidConnectionUrlError } from './contract.js';
import type { DialectName } from './contract.js';

/** The environment variable the brief names for the orchestrator database. */
export const DB_CONNECTION_ENV = 'HUGO_ORCHESTRATOR_DB_CONNECTION';

export type ConnectionTarget =
  | { dialect: 'postgres' | 'mysql'; url: string; redacted: string; database: string }
  | { dialect: 'sqlite'; filename: string; redacted: string };

const urlString = z
  .string({ error: 'the database connection URL must be a string' })
  .trim()
  .min(1, { error: 'the database connection URL is empty' });

/** Removes the password so a URL can go into logs and error messages. */
export function redactConnectionUrl(raw: string): string {
  if (raw.startsWith('sqlite:')) return raw;
  try {
    const u = new URL(raw);
    if (u.password) u.password = '';
    return u.toString().replace(/:@/, '@');
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Parses `postgres://`, `postgresql://`, `mysql://`, `sqlite::memory:`, `sqlite:/abs/file.db`,
 * `sqlite:///abs/file.db` or `sqlite:relative/file.db`. Throws InvalidConnectionUrlError with an actionable message.
 */
export function parseConnectionUrl(input: unknown): ConnectionTarget {
  const parsed = urlString.safeParse(input);
  if (!parsed.success) {
    throw new InvalidConnectionUrlError(parsed.error.issues.map((i) => i.message).join('; '));
  }
  const raw = parsed.data;
  if (raw.startsWith('sqlite:')) {
    let rest = raw.slice('sqlite:'.length);
    const q = rest.indexOf('?');
    if (q >= 0) rest = rest.slice(0, q);
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (rest === '') {
      throw new InvalidConnectionUrlError(
        'sqlite URL names no file: use sqlite::memory: or sqlite:/path/to/odin.db',
      );
    }
    return { dialect: 'sqlite', filename: rest, redacted: raw };
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidConnectionUrlError(
      `cannot parse database URL ${redactConnectionUrl(raw)}: expected postgres://user@host:5432/db, mysql://user@host:3306/db or sqlite:/path/file.db`,
    );
  }
  const scheme = u.protocol.replace(/:$/, '');
  let dialect: DialectName;
  if (scheme === 'postgres' || scheme === 'postgresql') dialect = 'postgres';
  else if (scheme === 'mysql') dialect = 'mysql';
  else {
    throw new InvalidConnectionUrlError(
      `unsupported database URL scheme "${scheme}:": use postgres://, postgresql://, mysql:// or sqlite:`,
    );
  }
  if (!u.hostname)
    throw new InvalidConnectionUrlError(`database URL ${redactConnectionUrl(raw)} has no host`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (dialect === 'mysql' && database === '') {
    throw new InvalidConnectionUrlError(
      `mysql URL ${redactConnectionUrl(raw)} names no database: use mysql://user@host:3306/odin`,
    );
  }
  return { dialect, url: raw, redacted: redactConnectionUrl(raw), database };
}
