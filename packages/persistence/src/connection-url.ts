import { z } from 'zod';
import { InvalidConnectionUrlError } from './contract.js';

/** The environment variable that holds the database connection URL of every Odin process. */
export const DB_CONNECTION_ENV = 'HUGO_ORCHESTRATOR_DB_CONNECTION';

/** A database server reached over the network (PostgreSQL or MySQL). */
export interface ServerTarget {
  dialect: 'postgres' | 'mysql';
  url: string;
  redacted: string;
  database: string;
}

/** An embedded SQLite database: a file, or `:memory:`. */
export interface SqliteTarget {
  dialect: 'sqlite';
  filename: string;
  redacted: string;
}

export type ConnectionTarget = ServerTarget | SqliteTarget;

/**
 * The server URL schemes. MySQL has no default database to fall back on, so its URL must name one; PostgreSQL
 * connects to the user's database when none is named.
 */
const SERVER_SCHEMES: Readonly<
  Record<string, { dialect: ServerTarget['dialect']; needsDatabase: boolean; example: string }>
> = {
  postgres: { dialect: 'postgres', needsDatabase: false, example: 'postgres://user@host:5432/odin' },
  postgresql: { dialect: 'postgres', needsDatabase: false, example: 'postgresql://user@host:5432/odin' },
  mysql: { dialect: 'mysql', needsDatabase: true, example: 'mysql://user@host:3306/odin' },
};

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
  const server = Object.hasOwn(SERVER_SCHEMES, scheme) ? SERVER_SCHEMES[scheme] : undefined;
  if (server === undefined) {
    throw new InvalidConnectionUrlError(
      `unsupported database URL scheme "${scheme}:": use postgres://, postgresql://, mysql:// or sqlite:`,
    );
  }
  if (!u.hostname)
    throw new InvalidConnectionUrlError(`database URL ${redactConnectionUrl(raw)} has no host`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (server.needsDatabase && database === '') {
    throw new InvalidConnectionUrlError(
      `${scheme} URL ${redactConnectionUrl(raw)} names no database: use ${server.example}`,
    );
  }
  return { dialect: server.dialect, url: raw, redacted: redactConnectionUrl(raw), database };
}
