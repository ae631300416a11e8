import type { Clock, TimerHandle } from '@odin/hugo';
import type { OutboxAcks, OutboxStore, TimerTaskKey } from '@odin/persistence';

/** What a shard's outbox processor hands its finished tasks to: deleted later, `flush` waits for what was added. */
export interface OutboxDeleter<K> {
  add(key: K): void;
  flush(): Promise<void>;
}

/** Acks one commit carries at most, so a backlog of them never makes one transaction large. */
const MAX_ACKS_PER_COMMIT = 1_000;

interface Pending<R> {
  readonly row: R;
  readonly deleted: () => void;
}

/** The acks a commit took: `settle(true)` once its transaction committed, `settle(false)` gives them back. */
export interface TakenAcks {
  readonly acks: OutboxAcks;
  settle(committed: boolean): void;
}

/**
 * The finished outbox tasks of every shard of this host, deleted inside the next host-wide group commit instead
 * of in transactions of their own: on SQLite each transaction pays a COMMIT (and shares an fsync), and per-shard
 * deleters found one or two rows each across 512 shards, so deletes were more than a third of all transactions.
 * When no commit takes them within `delayMs` (an idle host), they go in one transaction of their own.
 */
export class HostOutboxAcks {
  #transfer: Pending<OutboxAcks['transfer'][number]>[] = [];
  #timer: Pending<OutboxAcks['timer'][number]>[] = [];
  #timerHandle: TimerHandle | undefined;
  #flushing: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly store: Pick<OutboxStore, 'deleteAcked'>,
    private readonly clock: Clock,
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A shard's transfer deleter over this host's acks; `deleted` runs once the row is gone. */
  transferDeleter(shardId: number, deleted: (taskId: number) => void): OutboxDeleter<number> {
    return {
      add: (taskId) => this.#add(this.#transfer, { shardId, taskId }, () => deleted(taskId)),
      flush: () => this.flush(),
    };
  }

  /** A shard's timer deleter over this host's acks. */
  timerDeleter(shardId: number, deleted: (key: TimerTaskKey) => void): OutboxDeleter<TimerTaskKey> {
    return {
      add: (key) =>
        this.#add(this.#timer, { shardId, fireTime: key.fireTime, taskId: key.taskId }, () => deleted(key)),
      flush: () => this.flush(),
    };
  }

  get pendingCount(): number {
    return this.#transfer.length + this.#timer.length;
  }

  /** Everything pending (up to a commit's share), for a commit to delete in its transaction. */
  take(): TakenAcks | undefined {
    if (this.pendingCount === 0) return undefined;
    const transfer = this.#transfer.splice(0, MAX_ACKS_PER_COMMIT);
    const timer = this.#timer.splice(0, Math.max(0, MAX_ACKS_PER_COMMIT - transfer.length));
    if (this.pendingCount === 0) {
      this.#timerHandle?.cancel();
      this.#timerHandle = undefined;
    }
    return {
      acks: { transfer: transfer.map((p) => p.row), timer: timer.map((p) => p.row) },
      settle: (committed) => {
        if (committed) {
          for (const p of transfer) p.deleted();
          for (const p of timer) p.deleted();
          return;
        }
        this.#transfer.unshift(...transfer);
        this.#timer.unshift(...timer);
        this.#arm();
      },
    };
  }

  /** Deletes what is pending now in a transaction of its own, and waits for it. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    const taken = this.take();
    if (!taken) return;
    this.#flushing = this.store.deleteAcked(taken.acks).then(
      () => taken.settle(true),
      (error: unknown) => {
        this.onError(error);
        // Given back, not retried at once: the next commit or the next delay takes them again.
        if (!this.#stopped) taken.settle(false);
      },
    );
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timerHandle?.cancel();
    this.#timerHandle = undefined;
  }

  #add<R>(list: Pending<R>[], row: R, deleted: () => void): void {
    list.push({ row, deleted });
    if (this.pendingCount >= MAX_ACKS_PER_COMMIT) void this.flush();
    else this.#arm();
  }

  #arm(): void {
    if (this.#stopped || this.#timerHandle) return;
    this.#timerHandle = this.clock.setTimer(this.delayMs, () => {
      this.#timerHandle = undefined;
      void this.flush();
    });
  }
}
