import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import type { VirtualClock } from '@odin/hugo';
import type { SeededRandom } from '@odin/runtime';
import type { Trace } from './trace.js';

/** How unreliable the simulated network is while faults are on; every rate is per call. */
export interface NetworkFaults {
  /** The request never arrives (the caller sees UNAVAILABLE). */
  readonly dropRate: number;
  /** The request arrives twice (both run; the caller sees the first answer). */
  readonly duplicateRate: number;
  /** The request runs but its answer is lost (the caller sees UNAVAILABLE). */
  readonly lostReplyRate: number;
  /** Each direction of a call takes 0..maxDelayMs virtual milliseconds. */
  readonly maxDelayMs: number;
}

export const CALM_NETWORK: NetworkFaults = { dropRate: 0, duplicateRate: 0, lostReplyRate: 0, maxDelayMs: 2 };

export interface CallSite {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  /** Epoch ms (virtual) the caller stops waiting: it gets DEADLINE_EXCEEDED then, whatever the callee does. */
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

interface InFlight {
  readonly from: string;
  readonly to: string;
  readonly fail: (error: unknown) => void;
}

/**
 * The in-process transport between simulated processes. Every call between two of them goes through `call`, which
 * the simulation's seeded random source drives: delay each way, drop, duplicate, lose the reply, refuse across a
 * partition or to a process that is down. Delays are virtual-clock timers, so their order is the clock's order.
 */
export class Network {
  faults: NetworkFaults = CALM_NETWORK;
  /** Resolves when a process runs (a paused one neither takes requests nor reads replies until it resumes). */
  gate: (node: string) => Promise<void> = () => Promise.resolve();
  readonly #partitions = new Set<string>();
  readonly #down = new Set<string>();
  readonly #inFlight = new Set<InFlight>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: SeededRandom,
    private readonly trace: Trace,
  ) {}

  /** The simulation's own time (no process's skew), in which call deadlines are given. */
  now(): number {
    return this.clock.now();
  }

  static #pair(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  partition(a: string, b: string): void {
    this.#partitions.add(Network.#pair(a, b));
    this.#failBetween((call) => Network.#pair(call.from, call.to) === Network.#pair(a, b));
  }

  heal(a: string, b: string): void {
    this.#partitions.delete(Network.#pair(a, b));
  }

  healAll(): void {
    this.#partitions.clear();
  }

  /** The process stopped: calls to and from it fail at once, as their connections reset. */
  down(node: string): void {
    this.#down.add(node);
    this.#failBetween((call) => call.from === node || call.to === node);
  }

  up(node: string): void {
    this.#down.delete(node);
  }

  #failBetween(matches: (call: InFlight) => boolean): void {
    for (const call of [...this.#inFlight]) {
      if (!matches(call)) continue;
      this.#inFlight.delete(call);
      call.fail(new ServiceError(status.UNAVAILABLE, 'simulated connection reset'));
    }
  }

  #reachable(from: string, to: string): boolean {
    return !this.#down.has(from) && !this.#down.has(to) && !this.#partitions.has(Network.#pair(from, to));
  }

  #delay(): Promise<void> {
    const ms = this.random.int(this.faults.maxDelayMs + 1);
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  #chance(rate: number): boolean {
    return rate > 0 && this.random.next() < rate;
  }

  /** Runs `handler` "on the other side"; the promise is what the caller sees. */
  call<T>(site: CallSite, handler: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: Outcome<T>) => {
        if (settled) return;
        settled = true;
        this.#inFlight.delete(entry);
        deadlineTimer?.cancel();
        site.signal?.removeEventListener('abort', onAbort);
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      };
      const entry: InFlight = { from: site.from, to: site.to, fail: (error) => finish({ ok: false, error }) };
      const onAbort = () =>
        finish({ ok: false, error: new ServiceError(status.CANCELLED, 'The call was cancelled.') });
      if (site.signal?.aborted) {
        settled = true;
        reject(new ServiceError(status.CANCELLED, 'The call was cancelled.'));
        return;
      }
      site.signal?.addEventListener('abort', onAbort, { once: true });
      const deadlineTimer =
        site.deadline === undefined
          ? undefined
          : this.clock.setTimer(Math.max(0, site.deadline - this.clock.now()), () =>
              finish({
                ok: false,
                error: new ServiceError(status.DEADLINE_EXCEEDED, 'simulated deadline exceeded'),
              }),
            );
      this.#inFlight.add(entry);
      void this.#deliver(site, handler, finish);
    });
  }

  async #deliver<T>(
    site: CallSite,
    handler: () => Promise<T>,
    finish: (outcome: Outcome<T>) => void,
  ): Promise<void> {
    const label = `${site.from}->${site.to} ${site.method}`;
    const unavailable = (why: string): Outcome<T> => ({
      ok: false,
      error: new ServiceError(status.UNAVAILABLE, `simulated network: ${why}`),
    });
    if (!this.#reachable(site.from, site.to)) {
      this.trace.add(this.clock.now(), `${label} unreachable`);
      await this.#delay();
      finish(unavailable('unreachable'));
      return;
    }
    const drop = this.#chance(this.faults.dropRate);
    const duplicate = !drop && this.#chance(this.faults.duplicateRate);
    const loseReply = !drop && this.#chance(this.faults.lostReplyRate);
    this.trace.add(
      this.clock.now(),
      `${label}${drop ? ' drop' : ''}${duplicate ? ' dup' : ''}${loseReply ? ' lost-reply' : ''}`,
    );
    await this.#delay();
    if (drop || !this.#reachable(site.from, site.to)) {
      finish(unavailable('request dropped'));
      return;
    }
    await this.gate(site.to);
    if (duplicate) {
      void this.#delay().then(() => {
        if (this.#reachable(site.from, site.to)) handler().catch(() => undefined);
      });
    }
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await handler() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    await this.#delay();
    await this.gate(site.from);
    if (loseReply || !this.#reachable(site.from, site.to)) {
      finish(unavailable('reply lost'));
      return;
    }
    finish(outcome);
  }
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };
