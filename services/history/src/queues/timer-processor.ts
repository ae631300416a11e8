import type { Clock, TimerHandle } from '@odin/hugo';
import type { OutboxTask, PersistenceStore, TimerTaskKey } from '@odin/persistence';
import type { HistoryLogger } from '../context.js';
import { BatchDeleter } from './batch-deleter.js';
import type { HostOutboxAcks, OutboxDeleter } from './host-outbox-acks.js';

const RETRY_DELAY_MS = 1_000;

/**
 * The timer outbox of one shard. Committed timer tasks enter an in-memory queue at once; a single clock timer (the
 * gate) fires at the earliest due time. A periodic scan of the outbox by fire time (look-ahead one interval) brings
 * in tasks written before a restart or by another owner. Executors reload state and drop stale tasks, so running a
 * task twice is harmless; a row is deleted after its executor succeeded.
 */
export class TimerProcessor {
  /** Tasks known to this processor (queued or running), until their row is deleted. */
  readonly #known = new Set<number>();
  #queue: OutboxTask[] = [];
  /** The queued tasks of each run (by run id), so that a commit can take those it made stale out of the queue. */
  readonly #queuedByRun = new Map<string, Set<OutboxTask>>();
  /** The row's own fire time (part of its key) of a task queued again later after its executor failed. */
  readonly #rowFireTimes = new WeakMap<OutboxTask, number>();
  #gate: TimerHandle | undefined;
  #gateAt = Number.POSITIVE_INFINITY;
  #scanTimer: TimerHandle | undefined;
  #stopped = false;
  readonly #deleter: OutboxDeleter<TimerTaskKey>;

  constructor(
    private readonly shardId: number,
    private readonly store: PersistenceStore,
    private readonly clock: Clock,
    private readonly execute: (task: OutboxTask) => Promise<void>,
    private readonly logger: HistoryLogger,
    private readonly scanIntervalMs: number,
    deleteDelayMs = 0,
    /** The host's acks, deleted with its group commits; without them, this shard deletes its own in batches. */
    hostAcks?: HostOutboxAcks,
  ) {
    this.#deleter =
      hostAcks?.timerDeleter(shardId, (key) => this.#known.delete(key.taskId)) ??
      new BatchDeleter<TimerTaskKey>(
        (keys) => this.store.outbox.deleteTimerTasks(this.shardId, keys),
        (error) => this.logger.warn({ err: error, shardId: this.shardId }, 'timer task delete failed'),
        (keys) => {
          for (const k of keys) this.#known.delete(k.taskId);
        },
        { clock, delayMs: deleteDelayMs },
      );
  }

  start(): void {
    void this.scan();
  }

  stop(): void {
    this.#stopped = true;
    this.#gate?.cancel();
    this.#scanTimer?.cancel();
    this.#queue = [];
    this.#queuedByRun.clear();
  }

  get pending(): number {
    return this.#queue.length;
  }

  schedule(task: OutboxTask): void {
    if (this.#stopped || this.#known.has(task.taskId)) return;
    this.#known.add(task.taskId);
    this.#insert(task);
    this.#arm();
  }

  /**
   * A commit of the run made some of its queued tasks stale (`applies` is false for them: their workflow task,
   * activity or timer is gone, or the run closed): they leave the queue now and their rows are deleted with the next
   * commit, instead of each waking the shard up when due (up to an activity's timeout later) to read the run and find
   * that out, and staying in memory until then.
   */
  dropStale<S>(runId: string, state: S, applies: (state: S, task: OutboxTask) => boolean): void {
    const queued = this.#queuedByRun.get(runId);
    if (queued === undefined) return;
    for (const task of queued) {
      if (applies(state, task)) continue;
      const at = this.#indexOf(task);
      if (at < 0) continue;
      this.#queue.splice(at, 1);
      queued.delete(task);
      this.#deleter.add(this.#rowKey(task));
    }
    if (queued.size === 0) this.#queuedByRun.delete(runId);
  }

  #insert(task: OutboxTask): void {
    this.#queue.splice(this.#position(task), 0, task);
    let queued = this.#queuedByRun.get(task.runId);
    if (queued === undefined) {
      queued = new Set();
      this.#queuedByRun.set(task.runId, queued);
    }
    queued.add(task);
  }

  /** Where a task with the task's fire time and id sits, or would go, in the queue (sorted by both). */
  #position(task: OutboxTask): number {
    const q = this.#queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = q[mid]!;
      if (m.fireTime < task.fireTime || (m.fireTime === task.fireTime && m.taskId < task.taskId))
        lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The key of the task's row: its fire time as written, not the later one of a retry. */
  #rowKey(task: OutboxTask): TimerTaskKey {
    return { fireTime: this.#rowFireTimes.get(task) ?? task.fireTime, taskId: task.taskId };
  }

  #indexOf(task: OutboxTask): number {
    const at = this.#position(task);
    return this.#queue[at] === task ? at : -1;
  }

  #unindex(task: OutboxTask): void {
    const queued = this.#queuedByRun.get(task.runId);
    if (queued === undefined) return;
    queued.delete(task);
    if (queued.size === 0) this.#queuedByRun.delete(task.runId);
  }

  #arm(): void {
    const first = this.#queue[0];
    if (!first || this.#stopped) return;
    if (this.#gate && this.#gateAt <= first.fireTime) return;
    this.#gate?.cancel();
    this.#gateAt = first.fireTime;
    this.#gate = this.clock.setTimer(first.fireTime - this.clock.now(), () => this.#fire());
  }

  #fire(): void {
    this.#gate = undefined;
    this.#gateAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let due = 0;
    while (due < this.#queue.length && this.#queue[due]!.fireTime <= now) due++;
    const tasks = this.#queue.splice(0, due);
    for (const task of tasks) {
      this.#unindex(task);
      void this.#run(task);
    }
    this.#arm();
  }

  async #run(task: OutboxTask): Promise<void> {
    try {
      await this.execute(task);
      this.#deleter.add(this.#rowKey(task));
    } catch (error) {
      if (this.#stopped) return;
      this.logger.warn(
        { err: error, shardId: this.shardId, taskId: task.taskId, taskType: task.taskType },
        'timer task failed; retrying',
      );
      const retry = { ...task, fireTime: this.clock.now() + RETRY_DELAY_MS };
      this.#rowFireTimes.set(retry, this.#rowKey(task).fireTime);
      this.#insert(retry);
      this.#arm();
    }
  }

  /** Loads due and soon-due rows not yet known here. */
  async scan(): Promise<void> {
    if (this.#stopped) return;
    try {
      const maxFireTime = this.clock.now() + 2 * this.scanIntervalMs;
      let after: TimerTaskKey | undefined;
      for (;;) {
        const tasks = await this.store.outbox.readTimerTasks(this.shardId, {
          maxFireTime,
          limit: 1000,
          ...(after ? { after } : {}),
        });
        for (const task of tasks) this.schedule(task);
        if (tasks.length < 1000) break;
        const last = tasks[tasks.length - 1]!;
        after = { fireTime: last.fireTime, taskId: last.taskId };
      }
    } catch (error) {
      this.logger.warn({ err: error, shardId: this.shardId }, 'timer outbox scan failed');
    } finally {
      if (!this.#stopped) this.#scanTimer = this.clock.setTimer(this.scanIntervalMs, () => void this.scan());
    }
  }

  async flush(): Promise<void> {
    await this.#deleter.flush();
  }
}
