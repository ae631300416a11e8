import type { Logger } from '@odin/runtime';

/**
 * The parts of a server process in the order they stop: one order for every topology, a part the process does not
 * run is skipped. Why this order:
 * - `membership` early: the host leaves the ring at once, so peers take its shards and task queues now instead of
 *   after the membership TTL, and whatever it still commits meanwhile is fenced out by the new leases;
 * - `http` (the HTTP API and web UI) before `frontend`: they call the frontend in process, so they stop taking
 *   requests first and let those in flight finish while the frontend still answers them;
 * - `frontend` before the roles: no new client call reaches a role that is stopping; long polls are answered;
 * - `worker` (the system worker) before the store: it must not be mid-transaction when the store closes;
 * - `signal` aborts what the roles started with it, then `matching` answers its polls empty and persists held
 *   tasks, and `history` stops its processors and gives up its shards;
 * - `routers` and `internal-rpc` after the roles: calls still in flight between hosts can finish;
 * - `store`: nothing acknowledged is lost, every accepted write was committed before it closes;
 * - `tracing` last: the spans of everything above (the last commits included) are exported before the exit.
 */
export const STOP_ORDER = [
  'metrics',
  'membership',
  'http',
  'frontend',
  'worker',
  'signal',
  'matching',
  'history',
  'routers',
  'internal-rpc',
  'store',
  'tracing',
] as const;

export type ServerPart = (typeof STOP_ORDER)[number];

export interface StopReport {
  /** The parts this process ran, in the order they stopped, and how long each took. */
  readonly parts: readonly { readonly part: ServerPart; readonly ms: number }[];
  readonly ms: number;
}

/** Collects the stop of each part as it starts, and stops them in STOP_ORDER. */
export class StopSequence {
  readonly #stops = new Map<ServerPart, () => Promise<void> | void>();

  add(part: ServerPart, stop: () => Promise<void> | void): void {
    if (this.#stops.has(part)) throw new Error(`server part ${part} registered twice`);
    this.#stops.set(part, stop);
  }

  /**
   * Stops every registered part in order. A part that fails is logged and the rest still stop (the store must
   * close); the first failure is thrown at the end.
   */
  async run(log: Pick<Logger, 'debug' | 'warn'>): Promise<StopReport> {
    const began = performance.now();
    const parts: { part: ServerPart; ms: number }[] = [];
    let failure: { error: unknown } | undefined;
    for (const part of STOP_ORDER) {
      const stop = this.#stops.get(part);
      if (!stop) continue;
      this.#stops.delete(part);
      const at = performance.now();
      try {
        await stop();
      } catch (error) {
        failure ??= { error };
        log.warn({ err: error, part }, 'server part failed to stop');
      }
      parts.push({ part, ms: Math.round(performance.now() - at) });
      log.debug({ part, ms: parts.at(-1)?.ms }, 'server part stopped');
    }
    if (failure) throw failure.error;
    return { parts, ms: Math.round(performance.now() - began) };
  }
}
