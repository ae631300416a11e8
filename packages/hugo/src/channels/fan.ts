import { abortScope } from '../abort-scope.js';
import { type Clock, systemClock } from '../clock.js';
import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, ok, type Result } from '../result/result.js';
import { Channel } from './channel.js';
import { toHugoError, toThrowable } from './errors.js';
import { type CaseOutcome, channelCases, select } from './select.js';
import type { ChannelReader, ChannelWriter } from './types.js';

export interface FanOptions {
  /** One deadline for the whole fan-in session (on `clock`); infinite when omitted. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

function checkTimeout(ms: number | undefined, what: string): void {
  if (ms !== undefined && !(ms >= 0)) throw new RangeError(`${what} must be non-negative, got ${ms}.`);
}

/**
 * Hugo's `SelectFanInAsync`: selects over `readers` until every one has completed, calling `onValue` for each value.
 * One deadline covers the whole session; the first failure (a handler's, a reader's fault, timeout, abort) stops it.
 * Not fair: when several readers are ready the first one listed wins.
 */
export async function selectFanIn<T>(
  readers: readonly ChannelReader<T>[],
  onValue: (value: T, signal: AbortSignal) => CaseOutcome<void>,
  options: FanOptions = {},
): Promise<Result<void>> {
  checkTimeout(options.timeoutMs, 'Fan-in timeout');
  const clock = options.clock ?? systemClock;
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + options.timeoutMs;
  let active = [...readers];
  while (active.length > 0) {
    const remaining = deadline - clock.now();
    if (remaining <= 0) return fail(HugoError.timeout(options.timeoutMs));
    const iteration = await select<void>(channelCases(active, onValue), {
      clock,
      ...(Number.isFinite(remaining) ? { timeoutMs: remaining } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!iteration.ok) {
      if (iteration.error.code !== ErrorCodes.SelectDrained) {
        return iteration.error.code === ErrorCodes.Timeout
          ? fail(HugoError.timeout(options.timeoutMs))
          : iteration;
      }
      return ok();
    }
    active = active.filter((reader) => !reader.isDrained);
  }
  return ok();
}

export interface FanInOptions extends FanOptions {
  /** Complete the destination when the sources are done (with the failure as its fault); default true. */
  readonly completeDestination?: boolean;
}

/** Hugo's `FanInAsync`: copies every value of `sources` into `destination` until all sources complete. */
export async function fanInAsync<T>(
  sources: readonly ChannelReader<T>[],
  destination: ChannelWriter<T>,
  options: FanInOptions = {},
): Promise<Result<void>> {
  const completeDestination = options.completeDestination ?? true;
  const result = await selectFanIn<T>(
    sources,
    async (value, signal) => {
      try {
        await destination.write(value, signal);
        return ok();
      } catch (error) {
        if (isCancellation(error, signal)) throw error;
        return fail(toHugoError(error));
      }
    },
    options,
  );
  if (completeDestination) {
    if (result.ok) destination.tryComplete();
    else destination.tryComplete(toThrowable(result.error));
  }
  return result;
}

/** Hugo's `FanIn`: a new unbounded reader carrying every value of `sources`; it completes (or faults) after them. */
export function fanIn<T>(sources: readonly ChannelReader<T>[], options: FanOptions = {}): ChannelReader<T> {
  const output = new Channel<T>();
  fanInAsync(sources, output, { ...options, completeDestination: true }).catch((error) =>
    output.tryComplete(error),
  );
  return output;
}

export interface FanOutOptions {
  /** Complete every destination when the source is done (with the failure as fault); default true. */
  readonly completeDestinations?: boolean;
  /** How long each item may wait for room in one destination; infinite when omitted. */
  readonly deadlineMs?: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/**
 * Hugo's `FanOutAsync`: a broadcast, not a load balancer. Every item of `source` is written to every destination in
 * turn, each write waiting for room up to the per-item deadline. A completed destination fails the run with
 * `error.channel.completed`; any failure completes all destinations with it.
 */
export async function fanOutAsync<T>(
  source: ChannelReader<T>,
  destinations: readonly ChannelWriter<T>[],
  options: FanOutOptions = {},
): Promise<Result<void>> {
  checkTimeout(options.deadlineMs, 'Fan-out deadline');
  if (destinations.length === 0) return ok();
  const completeAll = options.completeDestinations ?? true;
  const clock = options.clock ?? systemClock;
  const signal = options.signal;
  const finish = (result: Result<void>): Result<void> => {
    if (completeAll) {
      const fault = result.ok ? undefined : toThrowable(result.error);
      for (const writer of destinations) writer.tryComplete(fault);
    }
    return result;
  };
  try {
    while (await source.waitToRead(signal)) {
      for (let next = source.tryRead(); next.ok; next = source.tryRead()) {
        const startedAt = clock.now();
        for (const writer of destinations) {
          const written = await writeWithDeadline(
            writer,
            next.value,
            options.deadlineMs,
            startedAt,
            clock,
            signal,
          );
          if (!written.ok) return finish(written);
        }
      }
    }
  } catch (error) {
    if (isCancellation(error, signal)) return finish(fail(HugoError.canceled(undefined, signal)));
    return finish(fail(toHugoError(error)));
  }
  return finish(ok());
}

async function writeWithDeadline<T>(
  writer: ChannelWriter<T>,
  value: T,
  deadlineMs: number | undefined,
  startedAt: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<Result<void>> {
  const completed = () =>
    fail(HugoError.from('Destination channel has completed.', ErrorCodes.ChannelCompleted));
  for (;;) {
    if (writer.tryWrite(value)) return ok();
    if (writer.isCompleted) return completed();
    if (signal?.aborted) return fail(HugoError.canceled(undefined, signal));
    if (deadlineMs === undefined) {
      if (!(await writer.waitToWrite(signal))) return completed();
      continue;
    }
    const remaining = deadlineMs - (clock.now() - startedAt);
    if (remaining <= 0) return fail(HugoError.timeout(deadlineMs));
    using round = abortScope(signal, { clock, ms: remaining });
    try {
      if (!(await writer.waitToWrite(round.signal))) return completed();
    } catch (error) {
      if (round.timedOut) return fail(HugoError.timeout(deadlineMs));
      throw error;
    }
  }
}

/** Hugo's `FanOut`: `branchCount` new unbounded readers, each receiving every item of `source`. */
export function fanOut<T>(
  source: ChannelReader<T>,
  branchCount: number,
  options: FanOutOptions = {},
): ChannelReader<T>[] {
  if (!Number.isInteger(branchCount) || branchCount <= 0) {
    throw new RangeError(`branchCount must be a positive integer, got ${branchCount}.`);
  }
  const branches = Array.from({ length: branchCount }, () => new Channel<T>());
  fanOutAsync(source, branches, options).catch((error) => {
    if (options.completeDestinations ?? true) for (const b of branches) b.tryComplete(error);
  });
  return branches;
}
