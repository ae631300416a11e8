import type { Clock } from '@odin/hugo';

/**
 * A token bucket on the injected clock: `ratePerSecond` tokens a second, at most `burst` saved up.
 *
 * Hand-written: the maintained rate-limiter packages (limiter, rate-limiter-flexible, bottleneck) read the wall
 * clock themselves, so neither a virtual clock in tests nor the process's injected clock could drive them; the
 * arithmetic below is the whole algorithm.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly clock: Clock,
    private ratePerSecond: number,
    private burst: number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = clock.now();
  }

  /** Changes the rate (a worker's poll names its task queue's); the saved tokens stay within the new burst. */
  setRate(ratePerSecond: number, burst: number): void {
    this.#refill();
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = Math.min(this.#tokens, burst);
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whether a token is there now (without taking it). */
  available(): boolean {
    this.#refill();
    return this.#tokens >= 1;
  }

  /** Takes a token even when there is none (the bucket goes into debt, later takes wait it out). */
  take(): void {
    this.#refill();
    this.#tokens -= 1;
  }

  /** A bucket that has been full since `idleMs` ago holds nothing worth keeping. */
  isFull(): boolean {
    this.#refill();
    return this.#tokens >= this.burst;
  }

  #refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
