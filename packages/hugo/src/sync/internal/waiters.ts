import { abortReason } from '../../result/cancellation.js';
import { Deque } from './deque.js';

/** One parked caller: settled exactly once, either granted a value or rejected. */
export interface Waiter<T> {
  grant(value: T): void;
  fail(reason: unknown): void;
}

/**
 * A FIFO line of parked callers. An abort removes the caller from the line and rejects its promise with the signal's
 * reason; a caller that was already granted keeps what it got (the grant wins, so nothing handed over is lost).
 */
export class WaiterQueue<T> {
  private readonly line = new Deque<Waiter<T>>();

  get length(): number {
    return this.line.length;
  }

  /** Parks a caller until it is granted a value, failed, or its signal aborts. */
  wait(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        this.line.remove(waiter);
        reject(abortReason(signal!));
      };
      const waiter: Waiter<T> = {
        grant: (value) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        fail: (reason) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      this.line.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands `value` to the longest-waiting caller; false when nobody waits. */
  grantNext(value: T): boolean {
    const waiter = this.line.shift();
    if (!waiter) return false;
    waiter.grant(value);
    return true;
  }

  grantAll(value: T): void {
    for (const waiter of this.line.clear()) waiter.grant(value);
  }

  failAll(reason: unknown): void {
    for (const waiter of this.line.clear()) waiter.fail(reason);
  }
}

interface Parked<P> {
  readonly payload: P;
  release(): void;
  fail(reason: unknown): void;
}

/**
 * A FIFO line of parked producers, each holding a payload until there is room for it (a blocked channel write, a
 * blocked enqueue). `takeNext` hands the oldest payload over and releases its producer; an abort withdraws the
 * producer and its payload, so nothing is both withdrawn and delivered.
 */
export class ProducerQueue<P> {
  private readonly line = new Deque<Parked<P>>();

  get length(): number {
    return this.line.length;
  }

  /** Parks `payload` until `takeNext` takes it (resolves), `failAll` (rejects) or `signal` aborts (rejects). */
  park(payload: P, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.line.remove(parked);
        reject(abortReason(signal!));
      };
      const parked: Parked<P> = {
        payload,
        release: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      this.line.push(parked);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The payload of the longest-parked producer, whose `park` then resolves; undefined when nobody is parked. */
  takeNext(): P | undefined {
    const parked = this.line.shift();
    if (!parked) return undefined;
    parked.release();
    return parked.payload;
  }

  failAll(reason: unknown): void {
    for (const parked of this.line.clear()) parked.fail(reason);
  }
}
