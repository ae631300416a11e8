import type { Clock } from '@odin/hugo';
import type { PersistedBacklog } from './backlog.js';
import type { PendingTask } from './task.js';

/** How a sync-matched task ended at its poller. */
export type DispatchOutcome = 'started' | 'dropped' | 'failed';

/** A query-only workflow task: never persisted, taken by at most one poller. */
export interface QueryOffer {
  readonly queryId: string;
  readonly response: object;
  /** True once for the poller that gets it; false if the query already gave up. */
  claim(): boolean;
}

/** What a waiting poll can be handed. `wake` means: look at the backlog again. */
export type Offer =
  | { readonly kind: 'task'; readonly task: PendingTask; settle(outcome: DispatchOutcome): void }
  | { readonly kind: 'query'; readonly query: QueryOffer }
  | { readonly kind: 'wake' };

interface Waiter {
  deliver(offer: Offer): void;
}

/** An add waiting a moment for a poll before it goes to the persisted backlog. */
interface HeldAdd {
  readonly task: PendingTask;
  take(): ((outcome: DispatchOutcome) => void) | undefined;
}

/**
 * One task queue (namespace, name, type) on this host: the polls waiting on it (FIFO), its backlog in task-id order
 * and its undelivered queries. Every method is synchronous except where it says so, so no two pollers can take
 * the same item.
 */
export class Partition {
  readonly #waiters: Waiter[] = [];
  readonly #backlog: PendingTask[] = [];
  readonly #queries: QueryOffer[] = [];
  readonly #held: HeldAdd[] = [];
  #released = false;
  /** Resolves once the persisted backlog is loaded and the lease held. */
  ready: Promise<void>;

  constructor(
    readonly name: string,
    readonly persisted: PersistedBacklog,
    private readonly clock: Clock,
    load: (partition: Partition) => Promise<void>,
  ) {
    this.ready = load(this);
  }

  get waitingPolls(): number {
    return this.#waiters.length;
  }

  get backlogSize(): number {
    return this.#backlog.length;
  }

  /** Adds tasks to the backlog's tail (loaded or just persisted) and wakes a poll to take them. */
  pushBacklog(...tasks: PendingTask[]): void {
    this.#backlog.push(...tasks);
    for (let i = 0; i < tasks.length; i++) {
      const waiter = this.#waiters.shift();
      if (!waiter) break;
      waiter.deliver({ kind: 'wake' });
    }
  }

  /** Puts a task back at the head (its dispatch failed for a reason other than being stale). */
  returnToBacklog(task: PendingTask): void {
    this.#backlog.unshift(task);
  }

  takeBacklog(): PendingTask | undefined {
    return this.#backlog.shift();
  }

  /** The oldest add still waiting for a poll, with the callback that reports what the poll did with it. */
  takeHeldAdd(): { task: PendingTask; settle(outcome: DispatchOutcome): void } | undefined {
    for (;;) {
      const held = this.#held.shift();
      if (!held) return undefined;
      const settle = held.take();
      if (settle) return { task: held.task, settle };
    }
  }

  /**
   * Keeps an add for up to `waitMs` for a poll to take it (a busy queue's polls come back within milliseconds, and a
   * sync match costs no backlog write). Resolves with what the poll did, or undefined when none came in time.
   */
  holdForPoll(task: PendingTask, waitMs: number, signal: AbortSignal): Promise<DispatchOutcome | undefined> {
    if (waitMs <= 0 || signal.aborted) return Promise.resolve(undefined);
    return new Promise<DispatchOutcome | undefined>((resolve) => {
      let open = true;
      const close = () => {
        open = false;
        timer.cancel();
        signal.removeEventListener('abort', giveUp);
        const index = this.#held.indexOf(held);
        if (index >= 0) this.#held.splice(index, 1);
      };
      const giveUp = () => {
        if (!open) return;
        close();
        resolve(undefined);
      };
      const held: HeldAdd = {
        task,
        take: () => {
          if (!open) return undefined;
          close();
          return resolve;
        },
      };
      const timer = this.clock.setTimer(waitMs, giveUp);
      signal.addEventListener('abort', giveUp, { once: true });
      this.#held.push(held);
    });
  }

  takeQuery(): QueryOffer | undefined {
    for (;;) {
      const query = this.#queries.shift();
      if (!query || query.claim()) return query;
    }
  }

  /** Hands a query to a waiting poll, or keeps it for the next poll. */
  offerQuery(query: QueryOffer): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.deliver({ kind: 'query', query });
    else this.#queries.push(query);
  }

  removeQuery(queryId: string): void {
    const index = this.#queries.findIndex((q) => q.queryId === queryId);
    if (index >= 0) this.#queries.splice(index, 1);
  }

  /**
   * Offers a task to the longest-waiting poll. Resolves with what that poll did with it, or undefined when no poll
   * is waiting (the caller persists it).
   */
  offerTask(task: PendingTask): Promise<DispatchOutcome> | undefined {
    const waiter = this.#waiters.shift();
    if (!waiter) return undefined;
    return new Promise<DispatchOutcome>((settle) => waiter.deliver({ kind: 'task', task, settle }));
  }

  /** Waits for an offer until `until` (epoch ms on the clock) or the signal; undefined when nothing came. */
  waitForOffer(until: number, signal: AbortSignal): Promise<Offer | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise<Offer | undefined>((resolve) => {
      const finish = (offer: Offer | undefined) => {
        timer.cancel();
        signal.removeEventListener('abort', onAbort);
        resolve(offer);
      };
      const waiter: Waiter = { deliver: finish };
      const leave = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        finish(undefined);
      };
      const onAbort = () => leave();
      const timer = this.clock.setTimer(until - this.clock.now(), leave);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** True once the queue moved to another host: polls still looping here stop and answer empty. */
  get released(): boolean {
    return this.#released;
  }

  /** The queue is owned elsewhere now: wakes every waiting poll, which then sees `released` and leaves. */
  release(): void {
    this.#released = true;
    this.releaseWaiters();
  }

  /** Ends every waiting poll with nothing (shutdown); held adds go to the backlog through their own signal. */
  releaseWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.deliver({ kind: 'wake' });
  }
}
