import { closeSync, openSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { SqliteTarget } from '../../connection-url.js';
import type { Tables } from '../../tables.js';
import { guardedDialect } from '../driver-errors.js';
import type { TransactionPipeline } from '../sql-dialect.js';
import { OdinSqliteDialect } from './driver.js';

const BUSY_TIMEOUT_MS = 5_000;

/**
 * WAL pages after which a commit copies them back into the database file (SQLite's default is 1,000). Hot pages
 * (B-tree interior pages, the outboxes' and visibility's leaves) change in almost every transaction; a checkpoint
 * writes each page once however often it changed since the last one, so fewer, larger checkpoints write less. Measured
 * with W1 on start-dev (docs/performance.md, 2026-12-05): 4,000 against 1,000 took 5–11 % less server CPU per
 * workflow. The WAL then holds up to ~16 MB between checkpoints; durability is unchanged (the WAL is fsynced before
 * every acknowledgement, and SQLite syncs the WAL before and the database after each checkpoint).
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4_000;

/** Owner read and write only: the database holds every workflow's data (docs/security.md). */
export const SQLITE_FILE_MODE = 0o600;

/**
 * Creates the database file with mode 0600 when it does not exist yet (SQLite would create it 0644, less the umask).
 * SQLite gives its -wal and -shm files the mode of the database file, so they are private too. An existing file
 * keeps its mode: an operator may have widened it on purpose.
 */
function createPrivately(filename: string): void {
  try {
    closeSync(openSync(filename, 'wx', SQLITE_FILE_MODE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

const pipelines = new WeakMap<Kysely<Tables>, TransactionPipeline>();

/** The transactions run whole on the connection behind `db` (a handle createSqliteKysely made): pipeline.ts. */
export function pipelineOf(db: Kysely<Tables>): TransactionPipeline | undefined {
  return pipelines.get(db);
}

export function createSqliteKysely(
  target: SqliteTarget,
  isConnectionFailure: (error: unknown) => boolean,
): Kysely<Tables> {
  if (target.filename !== ':memory:') createPrivately(target.filename);
  const file = new Database(target.filename, { timeout: BUSY_TIMEOUT_MS });
  if (target.filename !== ':memory:') {
    file.pragma('journal_mode = WAL');
    // NORMAL: COMMIT only write()s the WAL. A committed transition still survives power loss, as invariant 1
    // promises the caller: the driver acknowledges a commit only after an fsync of the WAL done off the main
    // thread (wal-sync.ts explains why that is as durable as FULL), instead of FULL's fsync inside COMMIT.
    file.pragma('synchronous = NORMAL');
    file.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  }
  file.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  file.pragma('foreign_keys = OFF');
  // SQLite's temporary files (the statement journal of a multi-row insert or update inside a transaction, and the
  // like) in memory instead of a file created, written and unlinked in /var/tmp per statement: under W1 they were
  // ~30 % of the server's pwrite calls and 5 more syscalls each (docs/performance.md, ninth pass). They hold one
  // statement's undo data, never anything a crash recovery reads: durability is unchanged.
  file.pragma('temp_store = MEMORY');
  const dialect = new OdinSqliteDialect(file);
  const db = new Kysely<Tables>({ dialect: guardedDialect(dialect, target.redacted, isConnectionFailure) });
  pipelines.set(db, dialect.transactionPipeline(isConnectionFailure, target.redacted));
  return db;
}

/** The file and its WAL companions; nothing to do for `:memory:`. */
export async function deleteSqliteFile(target: SqliteTarget): Promise<void> {
  if (target.filename === ':memory:') return;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${target.filename}${suffix}`, { force: true });
}
