import {
  type Clock,
  type HugoError,
  InMemoryTaskQueueStore,
  TaskQueue,
  type TaskQueueItem,
  type TaskQueueLease,
} from '@odin/hugo';
import type { PersistedBacklog } from './backlog.js';
import type { PendingTask } from './task.js';

/**
 * How long a backlog task handed to a poll stays leased while history records it as started. A record…Started call
 * takes milliseconds (a few seconds on a struggling database); one that has not answered after a minute is taken
 * as hung and the task goes to the next poll. History's request-id check keeps a late answer from starting it twice.
 */
export const BACKLOG_LEASE_MS = 60_000;
/** How often expired backlog leases are looked for: a hung dispatch is redelivered within a second of its expiry. */
const BACKLOG_LEASE_SWEEP_MS = 1_000;

/** A backlog task handed to one poll: complete it once history answered, fail it to put it back. */
export type BacklogLease = TaskQueueLease<PendingTask>;

/** What a partition's backlog gets from its owner: lease ids from the runtime's random source, and its reports. */
export interface BacklogHooks {
  newLeaseId(): string;
  /** A leased task came back to the backlog (its dispatch failed or its lease expired). */
  returned(task: PendingTask): void;
  /** A task left the backlog undelivered; its row stays in the database, but this host will not deliver it. */
  deadLettered(task: PendingTask, error: HugoError): void;
}

/** How a sync-matched task ended at its poller. */
export type DispatchOutcome = 'started' | 'dropped' | 'failed';

/** A query-only workflow task: never persisted, taken by at most one poller. */
export interface QueryOffer {
  readonly queryId: string;
  readonly response: object;
  /** True once for the poller that gets it; false if the query already gave up. */
  claim(): boolean;
}

/**
 * What a waiting poll can be handed. `wake` means: look at the backlog again. `handoff`: history took the poll to
 * start a task in its own transition; `answer` resolves with the poll's response once that committed, or with
 * undefined when the poll goes back to waiting.
 */
export type Offer =
  | { readonly kind: 'task'; readonly task: PendingTask; settle(outcome: DispatchOutcome): void }
  | { readonly kind: 'query'; readonly query: QueryOffer }
  | { readonly kind: 'handoff'; readonly answer: Promise<object | undefined> }
  | { readonly kind: 'wake' };

/** Who waits: the poll's request, and the signal of its caller's call (aborted when nobody can be answered). */
export interface Poller {
  readonly request: object;
  readonly callSignal: AbortSignal;
}

interface Waiter {
  readonly poller: Poller | undefined;
  deliver(offer: Offer): void;
}

/** An add waiting a moment for a poll before it goes to the persisted backlog. */
interface HeldAdd {
  readonly task: PendingTask;
  take(): ((outcome: DispatchOutcome) => void) | undefined;
}

/**
 * Keeps the pending line in sequence-id order instead of appending requeues at the tail: a task whose dispatch
 * failed or whose lease expired was the oldest one, and goes back to the head, so the backlog stays oldest-first.
 * Sequence ids follow enqueue order, which is task-id order (the load reads by task id; appends follow it).
 */
class OldestFirstStore extends InMemoryTaskQueueStore<PendingTask> {
  readonly #pending: TaskQueueItem<PendingTask>[] = [];

  override get pendingCount(): number {
    return this.#pending.length;
  }

  /** The task at the head of the line (the oldest), if any. */
  get oldest(): PendingTask | undefined {
    return this.#pending[0]?.value;
  }

  override appendPending(item: TaskQueueItem<PendingTask>): void {
    const line = this.#pending;
    let low = line.length;
    if (low > 0 && line[low - 1]!.sequenceId > item.sequenceId) {
      low = 0;
      let high = line.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (line[mid]!.sequenceId < item.sequenceId) low = mid + 1;
        else high = mid;
      }
    }
    line.splice(low, 0, item);
  }

  override takePending(): TaskQueueItem<PendingTask> | undefined {
    return this.#pending.shift();
  }

  override drainPending(): TaskQueueItem<PendingTask>[] {
    return this.#pending.splice(0);
  }
}

/**
 * One task queue (namespace, name, type) on this host: the polls waiting on it (FIFO), its backlog in task-id order
 * and its undelivered queries. Every method is synchronous except where it says so, so no two pollers can take
 * the same item.
 *
 * The backlog is a Hugo `TaskQueue`: a task handed to a poll is leased until history has recorded it as started,
 * so a failed dispatch puts it back and a hung one gets it back when the lease expires. It is created on the first
 * backlog task (most queues, sticky ones above all, never have one, and each queue runs a sweep timer).
 */
export class Partition {
  readonly #waiters: Waiter[] = [];
  #backlog: TaskQueue<PendingTask> | undefined;
  #backlogStore: OldestFirstStore | undefined;
  #closed = false;
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
    private readonly hooks: BacklogHooks,
  ) {
    this.ready = load(this);
  }

  get waitingPolls(): number {
    return this.#waiters.length;
  }

  /** Adds held here for a poll (not persisted yet). */
  get heldAdds(): number {
    return this.#held.length;
  }

  /** When the oldest task waiting here (in the backlog or held) was created; undefined when none waits. */
  oldestTaskCreatedAt(): number | undefined {
    const times = [this.#backlogStore?.oldest?.createdAt, ...this.#held.map((h) => h.task.createdAt)];
    const known = times.filter((t): t is number => t !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  }

  /** Backlog tasks waiting for a poll (leased ones not counted). */
  get backlogSize(): number {
    return this.#backlog ? this.#backlog.pendingCount + this.#backlog.delayedCount : 0;
  }

  /**
   * Adds tasks to the backlog's tail (loaded or just persisted) and wakes a poll to take them. After `close()` it
   * does nothing: the rows are in the database, for whoever loads the queue next.
   */
  pushBacklog(...tasks: PendingTask[]): void {
    if (this.#closed) return;
    const backlog = this.#openBacklog();
    // The capacity is unbounded, so enqueue puts the task in line synchronously (its promise only reports errors).
    for (const task of tasks) void backlog.enqueue(task).catch(() => {});
    for (let i = 0; i < tasks.length; i++) if (!this.#wakeOne()) break;
  }

  /**
   * Leases the oldest backlog task, or returns undefined at once when there is none. A poll must never wait inside
   * the TaskQueue (it would miss sync offers and queries), so it leases only when a task is pending: `lease()` takes
   * a pending item before its first await, so nobody can take it in between; the returned promise only carries the
   * lease object.
   */
  leaseBacklog(): Promise<BacklogLease> | undefined {
    const backlog = this.#backlog;
    if (!backlog || backlog.isDisposed || backlog.pendingCount === 0) return undefined;
    return backlog.lease();
  }

  #openBacklog(): TaskQueue<PendingTask> {
    if (this.#backlog) return this.#backlog;
    const store = new OldestFirstStore();
    this.#backlogStore = store;
    const backlog = new TaskQueue<PendingTask>(
      {
        name: `matching:${this.name}`,
        // Nothing may wait to get into the backlog: its rows are already durable, and waiting would stall the add.
        capacity: Number.MAX_SAFE_INTEGER,
        leaseDurationMs: BACKLOG_LEASE_MS,
        leaseSweepIntervalMs: BACKLOG_LEASE_SWEEP_MS,
        // A task that keeps failing transiently (history down for an hour) must stay; dead-lettering loses it.
        maxDeliveryAttempts: Number.MAX_SAFE_INTEGER,
      },
      {
        clock: this.clock,
        store,
        newLeaseId: () => this.hooks.newLeaseId(),
        deadLetter: ({ value, error }) => this.hooks.deadLettered(value, error),
      },
    );
    backlog.registerLifecycleListener((event) => {
      if (event.kind !== 'Requeued') return;
      this.hooks.returned(event.value);
      this.#wakeOne();
    });
    this.#backlog = backlog;
    return backlog;
  }

  #wakeOne(): boolean {
    const waiter = this.#waiters.shift();
    if (!waiter) return false;
    waiter.deliver({ kind: 'wake' });
    return true;
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

  /**
   * Takes the longest-waiting poll when `accept` takes its poller, for a hand-off (the caller delivers the offer);
   * undefined when no poll waits or the first one is not accepted (the caller then goes the usual way).
   */
  takeWaiter(
    accept: (poller: Poller) => boolean,
  ): { readonly poller: Poller; deliver(offer: Offer): void } | undefined {
    const waiter = this.#waiters[0];
    const poller = waiter?.poller;
    if (!waiter || !poller || !accept(poller)) return undefined;
    this.#waiters.shift();
    return { poller, deliver: waiter.deliver };
  }

  /** Waits for an offer until `until` (epoch ms on the clock) or the signal; undefined when nothing came. */
  waitForOffer(until: number, signal: AbortSignal, poller?: Poller): Promise<Offer | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise<Offer | undefined>((resolve) => {
      const finish = (offer: Offer | undefined) => {
        timer.cancel();
        signal.removeEventListener('abort', onAbort);
        resolve(offer);
      };
      const waiter: Waiter = { poller, deliver: finish };
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
    this.close();
  }

  /**
   * Drops the in-memory backlog and stops its lease sweep. Nothing is lost: every backlog task is a database row
   * until its start was recorded, and whoever loads the queue next delivers it. Leases still out end quietly.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // drain(), not dispose(): dispose would dead-letter the waiting tasks, which this host merely stops serving.
    void this.#backlog?.drain();
  }

  /** Ends every waiting poll with nothing (shutdown); held adds go to the backlog through their own signal. */
  releaseWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.deliver({ kind: 'wake' });
  }
}
