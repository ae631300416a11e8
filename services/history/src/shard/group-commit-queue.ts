import { activeTraceContext, inBatchSpan, rpcTracing, type TraceContext } from '@odin/api';
import type { Transition } from '@odin/persistence';

/** One caller's transitions waiting for a group commit; they commit all-or-nothing. */
export interface QueuedSubmission {
  readonly transitions: Transition[];
  resolve(dbVersions: number[]): void;
  reject(error: unknown): void;
  /** The submitter's trace context (only while spans are recorded): the commit's span is its child. */
  trace?: TraceContext | undefined;
  /** When it was queued, by the observer's clock (only with an observer). */
  queuedAt?: number;
}

/**
 * What a group commit reports as each batch starts, for the metrics: how many transitions a commit carries and how
 * long each submission waited for it (the part of a transition's latency that is the group commit's queue, not its
 * transaction).
 */
export interface GroupCommitObserver {
  now(): number;
  /** A batch starts: the transitions it carries; `waitedMs` holds each of its submissions' time in the queue. */
  batchStarted(transitions: number, waitedMs: readonly number[]): void;
}

/** Transitions that must be waiting before a commit starts beside one in flight (see GroupCommitQueue). */
export const DEFAULT_PARALLEL_BACKLOG = 64;

/** Transitions each commit takes at least when a queue is split over several commits at once (see GroupCommitQueue). */
export const DEFAULT_SPLIT_MIN = 32;

/**
 * The drain loop both group-commit batchers share: submissions that queue up while a commit is in flight go together
 * into the next commit, up to a transition budget. Subclasses decide how one batch is committed.
 *
 * Up to `maxConcurrentCommits` batches may be in flight at once, as long as no two hold submissions of the same key
 * (`keyOf`: the shard): a key's submissions commit one batch after another, in the order they were queued, so a
 * shard's outbox task ids and its runs' versions are written in the order they were given out. One (the default)
 * is the single writer embedded SQLite needs; a server database commits several on separate connections, and its
 * own group commit shares the WAL flushes, while each commit's round trips and flush wait no longer hold back all
 * the others.
 *
 * A commit beside one already in flight starts only once at least `parallelBacklog` transitions wait for it. Below
 * that, what queues during a commit goes into the next one: fewer, larger transactions. Splitting a small queue over
 * several commits cost more CPU than the overlap saved (docs/performance.md, tenth pass: W1 on PostgreSQL with four
 * small commits in flight took 17–29 % more machine CPU per workflow than with one, on MySQL 11–30 %). 64 is well
 * above the ~20 transitions a commit carries with 64 workflows in flight, so only a real backlog opens a second
 * commit; the value itself was not tuned.
 *
 * A queue found with nothing in flight is split instead: when at least twice `splitMin` transitions wait, they go
 * into as many commits as the limit allows with at least `splitMin` each, of about equal size, all started at once.
 * Workflows that wait on the same commit come back together and queue together again, so a closed loop of them
 * settles into one cohort a commit at a time (W1 with 64 in flight: every commit carried exactly 64 transitions);
 * one connection then works through all of it while the database's other cores stay idle. Two commits of 32
 * took 6.4–6.8 ms each where one of 64 took 8.8–10.2 ms, and W1 with a local step on PostgreSQL ran 6–36 % more
 * workflows a second at the same CPU in six pairs (docs/performance.md, twenty-fourth pass); commits of 16 cost more
 * CPU again.
 */
export abstract class GroupCommitQueue<S extends QueuedSubmission> {
  protected readonly queue: S[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Keys of the batches in flight. */
  readonly #busy = new Set<unknown>();

  constructor(
    private readonly maxTransitionsPerBatch: number,
    private readonly maxConcurrentCommits = 1,
    private readonly parallelBacklog = DEFAULT_PARALLEL_BACKLOG,
    private readonly splitMin = DEFAULT_SPLIT_MIN,
    private readonly observer?: GroupCommitObserver,
  ) {}

  protected enqueue(submission: S): void {
    if (rpcTracing.active) submission.trace = activeTraceContext();
    if (this.observer) submission.queuedAt = this.observer.now();
    this.queue.push(submission);
    this.#schedule();
  }

  protected abstract commitBatch(batch: S[]): Promise<void>;

  /** Attributes of a batch's commit span (its shard, say). */
  protected abstract spanAttributes(batch: readonly S[]): Record<string, string | number>;

  /** Submissions of one key never commit in two batches at once. */
  protected keyOf(_submission: S): unknown {
    return undefined;
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.maxConcurrentCommits || this.queue.length === 0) return;
    this.#scheduled = true;
    // Let transitions that are being built right now (their callbacks are already queued) join this batch.
    // Embedded SQLite commits synchronously, so without this yield nothing could ever queue behind a commit.
    setImmediate(() => {
      this.#scheduled = false;
      this.#start();
    });
  }

  #start(): void {
    const split = this.#inFlight === 0 ? this.#split() : undefined;
    for (let started = 0; this.#inFlight < this.maxConcurrentCommits; started++) {
      // A split starts all its commits at once; otherwise one beside a commit in flight waits for the backlog.
      const another = split
        ? started < split.commits
        : this.#inFlight === 0 || this.#waiting() >= this.parallelBacklog;
      if (!another) return;
      const batch = this.#take(split?.budget ?? this.maxTransitionsPerBatch);
      if (batch.length === 0) return;
      const keys = new Set(batch.map((s) => this.keyOf(s)));
      for (const key of keys) this.#busy.add(key);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        for (const key of keys) this.#busy.delete(key);
        this.#schedule();
      });
    }
  }

  /** Transitions queued whose key is not in flight (what a commit started now could take), up to `limit`. */
  #waiting(limit = this.maxTransitionsPerBatch): number {
    let size = 0;
    for (const next of this.queue) {
      if (this.#busy.has(this.keyOf(next))) continue;
      size += next.transitions.length;
      if (size >= limit) break;
    }
    return size;
  }

  /** How a queue found with nothing in flight is split: into how many commits, of how many transitions each. */
  #split(): { commits: number; budget: number } | undefined {
    if (this.maxConcurrentCommits < 2) return undefined;
    const waiting = this.#waiting(this.maxTransitionsPerBatch * this.maxConcurrentCommits);
    const commits = Math.min(this.maxConcurrentCommits, Math.floor(waiting / this.splitMin));
    if (commits < 2) return undefined;
    return { commits, budget: Math.min(this.maxTransitionsPerBatch, Math.ceil(waiting / commits)) };
  }

  /** The next batch: queued submissions in order, skipping those whose key is in flight, up to `budget` transitions. */
  #take(budget: number): S[] {
    const batch: S[] = [];
    let size = 0;
    let i = 0;
    while (i < this.queue.length) {
      const next = this.queue[i]!;
      if (this.#busy.size > 0 && this.#busy.has(this.keyOf(next))) {
        i++;
        continue;
      }
      if (batch.length > 0 && size + next.transitions.length > budget) break;
      this.queue.splice(i, 1);
      batch.push(next);
      size += next.transitions.length;
    }
    return batch;
  }

  /** Async, so that a synchronous throw still reaches `finally` in #start and frees the batch's keys. */
  async #commit(batch: S[]): Promise<void> {
    if (this.observer) this.#observe(batch, this.observer);
    if (!rpcTracing.active) return this.commitBatch(batch);
    // A child span of every submitter's RPC span (parent of the first, linked by the rest), not of whichever call
    // happened to start this batch.
    const size = batch.reduce((n, s) => n + s.transitions.length, 0);
    return inBatchSpan(
      'persistence.commitShardBatch',
      batch.map((s) => s.trace),
      { transitions: size, submissions: batch.length, ...this.spanAttributes(batch) },
      () => this.commitBatch(batch),
    );
  }

  /** Tells the observer what the batch carries and how long each of its submissions waited for it. */
  #observe(batch: readonly S[], observer: GroupCommitObserver): void {
    const now = observer.now();
    let transitions = 0;
    const waited: number[] = [];
    for (const s of batch) {
      transitions += s.transitions.length;
      waited.push(now - (s.queuedAt ?? now));
    }
    observer.batchStarted(transitions, waited);
  }
}
