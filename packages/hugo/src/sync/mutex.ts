import './internal/dispose.js';
import { WaiterQueue } from './internal/waiters.js';

/**
 * A held lock. `release()` (or leaving a `using` scope) gives it up; releasing twice is a no-op, so a scope that
 * released early and then disposes is safe.
 */
export interface LockScope extends Disposable {
  release(): void;
}

function scope(release: () => void): LockScope {
  let held = true;
  const once = () => {
    if (!held) return;
    held = false;
    release();
  };
  return { release: once, [Symbol.dispose]: once };
}

/**
 * Hugo's `Mutex`, asynchronous form only (JavaScript has one thread, so Hugo's separate blocking scope has no
 * counterpart). FIFO fair: the lock passes straight to the longest waiter. Not re-entrant: a holder that asks again
 * waits for itself. An aborted wait rejects with the signal's reason and leaves the line.
 *
 *     using _ = await mutex.lock(signal);
 */
export class Mutex {
  private held = false;
  private readonly waiters = new WaiterQueue<void>();

  get locked(): boolean {
    return this.held;
  }

  /** Callers parked in `lock`. */
  get waiting(): number {
    return this.waiters.length;
  }

  async lock(signal?: AbortSignal): Promise<LockScope> {
    if (!this.held && this.waiters.length === 0 && !signal?.aborted) {
      this.held = true;
    } else {
      // On grant the lock is already ours: `unlock` hands over without ever marking the mutex free.
      await this.waiters.wait(signal);
    }
    return scope(() => this.unlock());
  }

  /** The lock when it is free and nobody is queued for it; otherwise undefined, at once. */
  tryLock(): LockScope | undefined {
    if (this.held || this.waiters.length > 0) return undefined;
    this.held = true;
    return scope(() => this.unlock());
  }

  /** Runs `fn` while holding the lock and releases it however `fn` ends. */
  async runExclusive<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<Awaited<T>> {
    using _ = await this.lock(signal);
    return await fn();
  }

  private unlock(): void {
    if (!this.waiters.grantNext(undefined)) this.held = false;
  }
}

type RwWaiterKind = 'read' | 'write';

/**
 * Hugo's `RwMutex`, asynchronous form only. Unlike Hugo (reader-preferring), this one is FIFO and therefore
 * writer-preferring: once a writer waits, readers that arrive after it queue behind it, so a stream of readers cannot
 * starve writers. Consecutive readers at the head of the line enter together. Not re-entrant; a reader that asks for
 * the write lock deadlocks itself. Aborted waits reject and leave the line.
 */
export class RwMutex {
  private readers = 0;
  private writer = false;
  private readonly line: { kind: RwWaiterKind; queue: WaiterQueue<void> }[] = [];

  get readerCount(): number {
    return this.readers;
  }

  get writeLocked(): boolean {
    return this.writer;
  }

  /** Callers parked in `rLock` or `lock`. */
  get waiting(): number {
    let n = 0;
    for (const entry of this.line) n += entry.queue.length;
    return n;
  }

  async rLock(signal?: AbortSignal): Promise<LockScope> {
    if (!this.writer && this.waiting === 0 && !signal?.aborted) {
      this.readers += 1;
    } else {
      await this.park('read', signal);
    }
    return scope(() => this.releaseRead());
  }

  async lock(signal?: AbortSignal): Promise<LockScope> {
    if (!this.writer && this.readers === 0 && this.waiting === 0 && !signal?.aborted) {
      this.writer = true;
    } else {
      await this.park('write', signal);
    }
    return scope(() => this.releaseWrite());
  }

  tryRLock(): LockScope | undefined {
    if (this.writer || this.waiting > 0) return undefined;
    this.readers += 1;
    return scope(() => this.releaseRead());
  }

  tryLock(): LockScope | undefined {
    if (this.writer || this.readers > 0 || this.waiting > 0) return undefined;
    this.writer = true;
    return scope(() => this.releaseWrite());
  }

  async runRead<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<Awaited<T>> {
    using _ = await this.rLock(signal);
    return await fn();
  }

  async runWrite<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<Awaited<T>> {
    using _ = await this.lock(signal);
    return await fn();
  }

  // Waiters of one kind that arrive back to back share one batch; a batch of readers is admitted at once.
  private park(kind: RwWaiterKind, signal?: AbortSignal): Promise<void> {
    const tail = this.line[this.line.length - 1];
    const batch = kind === 'read' && tail?.kind === 'read' ? tail : { kind, queue: new WaiterQueue<void>() };
    if (batch !== tail) this.line.push(batch);
    const waited = batch.queue.wait(signal);
    // An abort may empty a batch; drop it and let whoever is next in line in.
    waited.catch(() => this.admit());
    return waited;
  }

  private releaseRead(): void {
    this.readers -= 1;
    this.admit();
  }

  private releaseWrite(): void {
    this.writer = false;
    this.admit();
  }

  private admit(): void {
    while (this.line.length > 0 && this.line[0]!.queue.length === 0) this.line.shift();
    const head = this.line[0];
    if (!head || this.writer) return;
    if (head.kind === 'write') {
      if (this.readers > 0) return;
      this.writer = true;
      head.queue.grantNext(undefined);
      if (head.queue.length === 0) this.line.shift();
      return;
    }
    this.line.shift();
    const admitted = head.queue.length;
    this.readers += admitted;
    head.queue.grantAll(undefined);
  }
}
