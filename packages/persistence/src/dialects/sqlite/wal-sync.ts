import { closeSync, fsync, open } from 'node:fs';

/**
 * Why commits wait for a WAL fsync instead of running with synchronous = FULL: FULL fsyncs inside COMMIT, which
 * blocks the one JS thread for the whole disk flush. With synchronous = NORMAL, COMMIT only write()s its frames to
 * the -wal file; the fsync is done here, off the main thread, and a commit is acknowledged only after an fsync that
 * started after its COMMIT returned. That is as durable as FULL because WAL recovery is prefix-based: frames carry
 * cumulative checksums and recovery stops at the first frame that does not verify, so a transaction can survive a
 * crash only together with every transaction committed before it. One fsync therefore makes every earlier commit
 * durable, and the commits that finish while an fsync is in flight all share the next one (group fsync).
 * A checkpoint in between is no hole: with NORMAL, SQLite itself syncs the WAL before a checkpoint and the database
 * file after it, before the WAL can be restarted.
 */

/**
 * The default sync: fsync of `${dbPath}-wal` through a descriptor kept open while the database is (the WAL file is
 * deleted only when the last connection closes, and ours stays open until `close`; a restarted or truncated WAL is
 * the same inode). Without a WAL file the database file itself is synced, and the WAL is looked for again next time.
 */
export class WalFileSync {
  #fd: number | undefined;

  constructor(private readonly dbPath: string) {}

  async sync(): Promise<void> {
    if (this.#fd === undefined) {
      try {
        this.#fd = await openReadOnly(`${this.dbPath}-wal`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        const fd = await openReadOnly(this.dbPath);
        try {
          await fsyncFd(fd);
        } finally {
          closeSync(fd);
        }
        return;
      }
    }
    await fsyncFd(this.#fd);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

// The callback API rather than fs/promises: a FileHandle per sync cost the main thread more than the sync itself.
function openReadOnly(path: string): Promise<number> {
  return new Promise((resolve, reject) =>
    open(path, 'r', (error, fd) => (error ? reject(error) : resolve(fd))),
  );
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (error) => (error ? reject(error) : resolve())));
}

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Group fsync: at most one sync in flight. A commit that finishes while one is in flight cannot count on it (the
 * sync may have flushed before the commit's write), so it waits for the next, which starts as soon as the current
 * one ends and is shared by every commit that finished meanwhile.
 */
export class GroupSync {
  #running = false;
  /** The commits waiting for the sync that has not started yet. */
  #next: Batch | undefined;
  #idle: Array<() => void> = [];

  constructor(
    private readonly sync: () => Promise<void>,
    private readonly label: string,
  ) {}

  /** Resolves once a sync that started after this call has completed; rejects when that sync failed. */
  afterCommit(): Promise<void> {
    if (this.#next === undefined) this.#next = newBatch();
    const { promise } = this.#next;
    if (!this.#running) this.#start();
    return promise;
  }

  /** Resolves when no sync is in flight or queued (errors are the waiters' business, not the caller's). */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #start(): void {
    const batch = this.#next;
    if (batch === undefined) return;
    this.#next = undefined;
    this.#running = true;
    let syncing: Promise<void>;
    try {
      syncing = Promise.resolve(this.sync());
    } catch (error) {
      syncing = Promise.reject(error);
    }
    const finish = (error: unknown, failed: boolean) => {
      this.#running = false;
      if (this.#next !== undefined) this.#start();
      else for (const resolve of this.#idle.splice(0)) resolve();
      if (!failed) batch.resolve();
      else {
        const message = `SQLite commit durability unknown for ${this.label}: the transaction is committed, but the fsync after it failed (${error instanceof Error ? error.message : String(error)}), so it may not survive a crash`;
        batch.reject(new Error(message, { cause: error }));
      }
    };
    syncing.then(
      () => finish(undefined, false),
      (error: unknown) => finish(error, true),
    );
  }
}
