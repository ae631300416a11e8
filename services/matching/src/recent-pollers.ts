/** Temporal lists the pollers of a task queue seen in the last five minutes. */
export const POLLER_HISTORY_MS = 5 * 60 * 1000;
/** Temporal's rate of a poller that set no `max_tasks_per_second`. */
export const DEFAULT_POLLER_RATE_PER_SECOND = 100_000;
/** Identities kept per queue; the least recently seen go first beyond this. */
const MAX_POLLERS = 1_000;

export interface PollerRecord {
  readonly identity: string;
  readonly lastAccessTime: number;
  readonly ratePerSecond: number;
}

/**
 * The workers that polled one task queue lately, by identity, for DescribeTaskQueue. A Map keeps insertion order,
 * and a poller is re-inserted on each access, so the first entries are the least recently seen.
 */
export class RecentPollers {
  readonly #byIdentity = new Map<string, PollerRecord>();

  record(identity: string, now: number, ratePerSecond: number | null | undefined): void {
    this.#byIdentity.delete(identity);
    this.#byIdentity.set(identity, {
      identity,
      lastAccessTime: now,
      ratePerSecond: ratePerSecond && ratePerSecond > 0 ? ratePerSecond : DEFAULT_POLLER_RATE_PER_SECOND,
    });
    if (this.#byIdentity.size > MAX_POLLERS) {
      const oldest = this.#byIdentity.keys().next();
      if (!oldest.done) this.#byIdentity.delete(oldest.value);
    }
  }

  /** Pollers seen within POLLER_HISTORY_MS, most recent first; older ones are forgotten. */
  list(now: number): PollerRecord[] {
    for (const [identity, poller] of this.#byIdentity) {
      if (now - poller.lastAccessTime <= POLLER_HISTORY_MS) break;
      this.#byIdentity.delete(identity);
    }
    return [...this.#byIdentity.values()].reverse();
  }

  get size(): number {
    return this.#byIdentity.size;
  }
}
