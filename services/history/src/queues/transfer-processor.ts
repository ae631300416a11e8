import type { Clock, TimerHandle } from '@odin/hugo';
import type { OutboxTask, PersistenceStore } from '@odin/persistence';
import type { HistoryLogger } from '../context.js';
import { BatchDeleter } from './batch-deleter.js';
import type { HostOutboxAcks, OutboxDeleter } from './host-outbox-acks.js';

/**
 * The transfer outbox of one shard. After a commit its tasks are handed to matching in memory at once; the outbox
 * row is deleted only when matching has taken the task. Rows left behind (a crash, a matching error) are found by
 * the scan that runs when the shard is acquired and then periodically.
 */
export class TransferProcessor {
  readonly #inflight = new Set<number>();
  readonly #deleter: OutboxDeleter<number>;
  #scanTimer: TimerHandle | undefined;
  #stopped = false;
  /** A hand-off failed since the last scan: the next tick rescans. */
  #dirty = false;
  #ticks = 0;

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
    // A task stays "in flight" until its row is gone, so a scan never hands it to matching twice.
    this.#deleter =
      hostAcks?.transferDeleter(shardId, (id) => this.#inflight.delete(id)) ??
      new BatchDeleter<number>(
        (ids) => this.store.outbox.deleteImmediateTasks(this.shardId, 'transfer', ids),
        (error) => this.logger.warn({ err: error, shardId: this.shardId }, 'transfer task delete failed'),
        (ids) => {
          for (const id of ids) this.#inflight.delete(id);
        },
        { clock, delayMs: deleteDelayMs },
      );
  }

  start(): void {
    void this.scan();
  }

  stop(): void {
    this.#stopped = true;
    this.#scanTimer?.cancel();
  }

  /** Hands a committed task to its executor (matching); deletes the row once it succeeded. */
  dispatch(task: OutboxTask): void {
    if (this.#stopped || this.#inflight.has(task.taskId)) return;
    this.#inflight.add(task.taskId);
    void this.#run(task);
  }

  async #run(task: OutboxTask): Promise<void> {
    try {
      await this.execute(task);
      this.#deleter.add(task.taskId);
    } catch (error) {
      this.#inflight.delete(task.taskId);
      this.#dirty = true;
      if (this.#stopped) return;
      this.logger.warn(
        { err: error, shardId: this.shardId, taskId: task.taskId, workflow_id: task.workflowId },
        'transfer task dispatch failed; the outbox scan retries it',
      );
    }
  }

  /** Re-dispatches outbox rows not in flight in this process. */
  async scan(): Promise<void> {
    if (this.#stopped) return;
    this.#dirty = false;
    try {
      let after = 0;
      for (;;) {
        const tasks = await this.store.outbox.readImmediateTasks(this.shardId, 'transfer', {
          afterTaskId: after,
          limit: 500,
        });
        for (const task of tasks) this.dispatch(task);
        if (tasks.length < 500) break;
        after = tasks[tasks.length - 1]!.taskId;
      }
    } catch (error) {
      this.logger.warn({ err: error, shardId: this.shardId }, 'transfer outbox scan failed');
    } finally {
      this.#scheduleTick();
    }
  }

  #scheduleTick(): void {
    if (this.#stopped) return;
    this.#scanTimer = this.clock.setTimer(this.scanIntervalMs, () => {
      this.#ticks++;
      if (this.#dirty || this.#ticks % 12 === 0) void this.scan();
      else this.#scheduleTick();
    });
  }

  async flush(): Promise<void> {
    await this.#deleter.flush();
  }
}
