import type { Clock, TimerHandle, VirtualClock } from '@odin/hugo';

/**
 * One simulated process's view of the simulation's single VirtualClock: its own skew (clock jumps), and a pause
 * (SIGSTOP) that holds its timers until it resumes. A crashed process's clock is dead: its timers never fire, so
 * whatever it was doing stops where it was, as when a process is killed.
 */
export class NodeClock implements Clock {
  #offsetMs = 0;
  #paused = false;
  #dead = false;
  #held: (() => void)[] = [];
  #resumed: (() => void)[] = [];

  constructor(private readonly base: VirtualClock) {}

  now(): number {
    return this.base.now() + this.#offsetMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.base.setTimer(delayMs, () => {
      if (this.#dead) return;
      if (this.#paused) this.#held.push(callback);
      else callback();
    });
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = this.setTimer(delayMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get paused(): boolean {
    return this.#paused;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Moves this process's wall clock forward (NTP step, VM migration); timers keep their relative delays. */
  jump(ms: number): void {
    this.#offsetMs += ms;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const held = this.#held;
    this.#held = [];
    for (const callback of held) callback();
    const waiting = this.#resumed;
    this.#resumed = [];
    for (const wake of waiting) wake();
  }

  /** Resolves when the process runs (at once unless paused); never, once it is dead. */
  running(): Promise<void> {
    if (!this.#paused && !this.#dead) return Promise.resolve();
    return new Promise((resolve) => {
      if (!this.#dead) this.#resumed.push(resolve);
    });
  }

  kill(): void {
    this.#dead = true;
    this.#held = [];
    this.#resumed = [];
  }
}
