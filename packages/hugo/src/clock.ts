/**
 * The one source of time for every timer, timeout, sweep, lease and retry in Odin.
 * Engine code receives a Clock through its constructor; it never reads `Date.now()` or calls `setTimeout` itself,
 * so a test can drive the whole system on virtual time.
 */
export interface TimerHandle {
  /** Stops the timer; returns false when it had already fired or been cancelled. */
  cancel(): boolean;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once after `delayMs` (clamped to 0). */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Resolves after `delayMs`; rejects with the signal's reason when `signal` aborts first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(abortReason(signal!));
    };
    const timer = clock.setTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The longest delay Node's `setTimeout` honours; a longer one overflows and fires after 1 ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** What SystemClock needs of the host: injectable so the clamp below is testable without waiting weeks. */
export interface HostTimers {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

const nodeTimers: HostTimers = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface SystemClockOptions {
  /**
   * Whether a pending timer keeps the process alive. Off for the engine, whose timers must not hold up a process
   * that is shutting down; on for a client or worker, whose caller awaits the timer (a retry's backoff) and would
   * otherwise see the process exit under it when nothing else is pending.
   */
  keepAlive?: boolean;
}

/**
 * Wall-clock time and real timers. A delay longer than `MAX_TIMER_DELAY_MS` (a 30-day sleep, a monthly cron) is
 * armed in steps of at most that long, each re-armed for what remains of the due time, so it neither overflows nor
 * fires early.
 */
export class SystemClock implements Clock {
  private readonly keepAlive: boolean;

  constructor(
    private readonly host: HostTimers = nodeTimers,
    options: SystemClockOptions = {},
  ) {
    this.keepAlive = options.keepAlive ?? false;
  }

  now(): number {
    return this.host.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const dueAt = this.host.now() + Math.max(0, delayMs);
    let live = true;
    let handle: unknown;
    const arm = (remaining: number) => {
      const step = this.host.setTimeout(
        () => {
          if (!live) return;
          const left = dueAt - this.host.now();
          if (left > 0) return arm(left);
          live = false;
          callback();
        },
        Math.min(Math.max(0, remaining), MAX_TIMER_DELAY_MS),
      );
      // A pending engine timer must not keep a process alive that is otherwise shutting down.
      if (!this.keepAlive) step.unref?.();
      handle = step;
    };
    arm(dueAt - this.host.now());
    return {
      cancel: () => {
        if (!live) return false;
        live = false;
        this.host.clearTimeout(handle);
        return true;
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }
}

interface VirtualTimer {
  readonly dueAt: number;
  readonly seq: number;
  readonly callback: () => void;
  live: boolean;
}

/**
 * Time that moves only when a test moves it. Timers due at the same instant fire in the order they were set.
 * `advance` lets promise continuations run between timers, so code awaiting a sleep observes each step.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: VirtualTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: VirtualTimer = {
      dueAt: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      live: true,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        if (!timer.live) return false;
        timer.live = false;
        this.timers = this.timers.filter((t) => t !== timer);
        return true;
      },
    };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** The due time of the earliest pending timer, if any. */
  nextDueAt(): number | undefined {
    return this.earliest()?.dueAt;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + Math.max(0, ms));
  }

  /** Moves time to `targetMs` (never backwards), firing due timers in order. */
  async advanceTo(targetMs: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const next = this.earliest();
      if (!next || next.dueAt > targetMs) break;
      this.current = Math.max(this.current, next.dueAt);
      next.live = false;
      this.timers = this.timers.filter((t) => t !== next);
      next.callback();
      await flushMicrotasks();
    }
    this.current = Math.max(this.current, targetMs);
  }

  /** Fires timers until none is left or `maxSteps` have fired; returns how many fired. */
  async runAll(maxSteps = 10_000): Promise<number> {
    let fired = 0;
    await flushMicrotasks();
    while (fired < maxSteps) {
      const next = this.earliest();
      if (!next) break;
      await this.advanceTo(next.dueAt);
      fired++;
    }
    return fired;
  }

  private earliest(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers) {
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets queued promise continuations run; a few macrotask turns cover chains of awaits. */
export async function flushMicrotasks(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The process-wide default for code that was not handed a clock (library callers, not engine code). */
export const systemClock: Clock = new SystemClock();

/** The system clock whose pending timers keep the process alive: for clients and workers (SystemClockOptions). */
export const keepAliveClock: Clock = new SystemClock(nodeTimers, { keepAlive: true });
