import type { Clock, TimerHandle } from '@odin/hugo';

interface Timer {
  readonly dueAt: number;
  readonly seq: number;
  readonly callback: () => void;
}

const realSetImmediate = globalThis.setImmediate;

function turn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/**
 * Virtual time that can jump: `jumpTo` moves time to the target first and then fires every timer due by then
 * once, so a server's periodic housekeeping timers (re-armed relative to "now") fire once per jump instead of
 * once per period — what makes skipping a week cheap. Timers due at the same instant fire in creation order.
 */
export class SkippingClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: Timer = { dueAt: this.current + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.push(timer);
    return {
      cancel: () => {
        const before = this.timers.length;
        this.timers = this.timers.filter((t) => t !== timer);
        return this.timers.length !== before;
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        handle.cancel();
        reject(signal?.reason);
      };
      const handle = this.setTimer(delayMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  nextDueAt(): number | undefined {
    let best: number | undefined;
    for (const t of this.timers) if (best === undefined || t.dueAt < best) best = t.dueAt;
    return best;
  }

  /** Moves time to `targetMs` (never backwards) and fires the timers due by then, letting continuations run. */
  async jumpTo(targetMs: number): Promise<void> {
    this.current = Math.max(this.current, targetMs);
    for (let rounds = 0; rounds < 100; rounds++) {
      const due = this.timers
        .filter((t) => t.dueAt <= this.current)
        .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
      if (due.length === 0) break;
      this.timers = this.timers.filter((t) => t.dueAt > this.current);
      for (const timer of due) timer.callback();
      await turn();
    }
    await turn();
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): Promise<void> {
    return this.jumpTo(this.current + Math.max(0, ms));
  }
}
