import type { Clock } from '@odin/hugo';

/**
 * Paces one batch job's operations on the injected clock: at most `perSecond` a second, with as many at once at
 * the start (a token bucket whose burst is its rate, as Temporal's batcher limiter is set up).
 */
export class OperationPace {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly perSecond: number,
  ) {
    this.tokens = perSecond;
    this.updatedAt = clock.now();
  }

  /** Resolves when the next operation may go (throws when `signal` aborts meanwhile). */
  async take(signal: AbortSignal): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * 1000) / this.perSecond), signal);
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + (Math.max(0, now - this.updatedAt) * this.perSecond) / 1000,
    );
    this.updatedAt = now;
  }
}

/**
 * The rate of one job: its own max_operations_per_second when set and not above the server's, else the server's
 * (Temporal's rule for the requested rate).
 */
export function jobRate(requested: number | null | undefined, serverMax: number): number {
  const r = Number(requested ?? 0);
  return r > 0 && r <= serverMax ? r : serverMax;
}
