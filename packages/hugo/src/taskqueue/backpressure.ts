import type { Clock } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import { abortReason } from '../result/cancellation.js';
import { WaiterQueue } from '../sync/internal/waiters.js';
import type { ResolvedBackpressure, TaskQueueBackpressureState } from './options.js';

/**
 * A queue's backpressure state (Hugo's watermark logic): on when the pending count reaches the high watermark, off
 * again at the low one. Each flip is recorded as `hugo.taskqueue.backpressure.*` and releases `waitForDraining`
 * callers when it turns off; `stateChanged` hears of it unless the previous notice was less than the cooldown ago.
 * Without a configuration it never turns on.
 */
export class Backpressure {
  private active = false;
  private since: number;
  private lastNotice = Number.NEGATIVE_INFINITY;
  private readonly drainWaiters = new WaiterQueue<void>();

  constructor(
    private readonly config: ResolvedBackpressure | undefined,
    private readonly clock: Clock,
    private readonly tags: { readonly 'taskqueue.name': string },
  ) {
    this.since = clock.now();
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Resolves once backpressure is off (at once when it is). */
  waitForDraining(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (!this.active) return Promise.resolve();
    return this.drainWaiters.wait(signal);
  }

  /** Call after every change of the pending count. */
  observe(pending: number): void {
    const config = this.config;
    if (!config) return;
    const next = this.active ? pending > config.low : pending >= config.high;
    if (next === this.active) return;
    const now = this.clock.now();
    this.active = next;
    GoDiagnostics.record('hugo.taskqueue.backpressure.active', next ? 1 : -1, this.tags);
    GoDiagnostics.record('hugo.taskqueue.backpressure.transitions', 1, this.tags);
    GoDiagnostics.record('hugo.taskqueue.backpressure.pending', pending, this.tags);
    GoDiagnostics.record('hugo.taskqueue.backpressure.duration', now - this.since, this.tags);
    this.since = now;
    if (!next) this.drainWaiters.grantAll(undefined);
    if (now - this.lastNotice < config.cooldownMs) return;
    this.lastNotice = now;
    const state: TaskQueueBackpressureState = Object.freeze({
      isActive: next,
      pendingCount: pending,
      observedAt: now,
    });
    try {
      config.stateChanged?.(state);
    } catch {
      // A listener must not break the queue operation that crossed the watermark.
    }
  }
}
