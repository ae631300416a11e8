import { abortReason } from '../../result/cancellation.js';
import { WaiterQueue } from './waiters.js';

/** A counting semaphore with FIFO, abortable waits. A released permit goes straight to the longest waiter. */
export class Semaphore {
  private permits: number;
  private readonly waiters = new WaiterQueue<void>();

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 0)
      throw new RangeError(`Permits must be a non-negative integer.`);
    this.permits = permits;
  }

  get available(): number {
    return this.permits;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.permits > 0 && this.waiters.length === 0) {
      this.permits -= 1;
      return Promise.resolve();
    }
    return this.waiters.wait(signal);
  }

  /** Takes a permit only if one is free right now (no waiting, no queue jumping); true when taken. */
  tryAcquire(): boolean {
    if (this.permits === 0 || this.waiters.length > 0) return false;
    this.permits -= 1;
    return true;
  }

  release(): void {
    if (!this.waiters.grantNext(undefined)) this.permits += 1;
  }
}
