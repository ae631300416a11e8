import { type Clock, systemClock } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, isResult, ok, type Result } from '../result/result.js';
import { traced } from '../sync/internal/telemetry.js';
import { toHugoError } from './errors.js';
import type { ChannelReader } from './types.js';

/** What a case handler may return: a value, a Result, or a promise of either. */
export type CaseOutcome<R> = R | Result<R> | PromiseLike<R | Result<R>>;

/** A select case: read one value from `reader` and hand it to the handler. */
export interface ReadCase<R> {
  readonly kind: 'read';
  readonly reader: ChannelReader<unknown>;
  readonly priority: number;
  readonly handler: (value: unknown, signal: AbortSignal) => CaseOutcome<R>;
}

/** The case that runs when no reader has a value at the moment of the select. */
export interface DefaultCase<R> {
  readonly kind: 'default';
  readonly priority: number;
  readonly handler: (signal: AbortSignal) => CaseOutcome<R>;
}

export type SelectCase<R> = ReadCase<R> | DefaultCase<R>;

/** Hugo's `ChannelCase.Create(reader, handler)`; a lower `priority` wins when several readers are ready. */
export function channelCase<T, R>(
  reader: ChannelReader<T>,
  handler: (value: T, signal: AbortSignal) => CaseOutcome<R>,
  priority = 0,
): ReadCase<R> {
  if (!Number.isFinite(priority))
    throw new RangeError(`Case priority must be a finite number, got ${priority}.`);
  return {
    kind: 'read',
    reader: reader as ChannelReader<unknown>,
    priority,
    handler: handler as (value: unknown, signal: AbortSignal) => CaseOutcome<R>,
  };
}

/**
 * Hugo's `ChannelCaseTemplates.With`: one case per reader, all with the same handler (and priority), in reader
 * order — which is also their tie-break order.
 */
export function channelCases<T, R>(
  readers: readonly ChannelReader<T>[],
  handler: (value: T, signal: AbortSignal) => CaseOutcome<R>,
  priority = 0,
): ReadCase<R>[] {
  return readers.map((reader) => channelCase(reader, handler, priority));
}

/** Hugo's `ChannelCase.CreateDefault(handler)`. */
export function defaultCase<R>(
  handler: (signal: AbortSignal) => CaseOutcome<R>,
  priority = 0,
): DefaultCase<R> {
  return { kind: 'default', priority, handler };
}

export interface SelectOptions {
  /** Give up after this long (on `clock`) with `error.timeout`; infinite when omitted. */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  /** Aborting gives `error.canceled`. */
  readonly signal?: AbortSignal;
}

const never = new AbortController().signal;

type Wake =
  | { kind: 'ready'; index: number }
  | { kind: 'closed'; index: number }
  | { kind: 'fault'; error: unknown };

/**
 * Hugo's `Go.SelectAsync`: consumes exactly one value from the first ready case and returns its handler's outcome.
 *
 * 1. At least one case, and at most one default, else a `TypeError`.
 * 2. Probe every reader without consuming; among the ready ones the lowest priority number wins, ties going to the
 *    case declared first. Only the winner's value is taken.
 * 3. Nothing ready: run the default case, if any.
 * 4. Otherwise wait on every reader and the timeout. Waiting takes nothing: a wake-up re-probes all readers by the
 *    same rule, so values that arrive together are never lost, and a value another consumer took first just means
 *    waiting again. Readers that complete drop out; when all have → `error.select.drained`.
 * 5. Timeout → `error.timeout`; abort → `error.canceled`; a throwing handler → `error.exception`.
 *
 * A faulted reader makes the select fail with its fault (Hugo lets the exception escape instead).
 */
export function select<R>(cases: readonly SelectCase<R>[], options: SelectOptions = {}): Promise<Result<R>> {
  let fallback: DefaultCase<R> | undefined;
  const reads: ReadCase<R>[] = [];
  for (const c of cases) {
    if (c.kind === 'default') {
      if (fallback) throw new TypeError('Only one default case may be supplied.');
      fallback = c;
    } else {
      reads.push(c);
    }
  }
  if (reads.length === 0 && !fallback) throw new TypeError('At least one channel case must be provided.');
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  if (!(timeoutMs >= 0)) throw new RangeError(`Select timeout must be non-negative, got ${timeoutMs}.`);
  const clock = options.clock ?? systemClock;
  return traced(
    'Go.Select',
    (span) => {
      GoDiagnostics.record('channel.select.attempts', 1);
      const started = clock.now();
      return run(reads, fallback, timeoutMs, clock, options.signal).then((outcome) => {
        const elapsed = clock.now() - started;
        const code = outcome.ok ? undefined : outcome.error.code;
        if (code === ErrorCodes.Timeout) GoDiagnostics.record('channel.select.timeouts', 1);
        else if (code === ErrorCodes.Canceled) GoDiagnostics.record('channel.select.cancellations', 1);
        else GoDiagnostics.record('channel.select.completions', 1);
        GoDiagnostics.record('channel.select.latency', elapsed);
        span?.setAttribute('select.outcome', code ?? 'ok');
        return outcome;
      });
    },
    () => ({
      'select.cases': cases.length,
      'select.timeout_ms': Number.isFinite(timeoutMs) ? timeoutMs : -1,
    }),
  );
}

// The ready reader to take from: lowest priority number, then declaration order (the order of `reads`).
function pickReady<R>(reads: readonly ReadCase<R>[]): ReadCase<R> | undefined {
  let best: ReadCase<R> | undefined;
  for (const c of reads) {
    if (c.reader.canRead() && (!best || c.priority < best.priority)) best = c;
  }
  return best;
}

async function run<R>(
  reads: ReadCase<R>[],
  fallback: DefaultCase<R> | undefined,
  timeoutMs: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<Result<R>> {
  if (signal?.aborted) return fail(HugoError.canceled(undefined, signal));
  const first = takeFrom(pickReady(reads));
  if (first) return invoke(() => first.handler(first.value, signal ?? never), signal);
  if (fallback) return invoke(() => fallback.handler(signal ?? never), signal);

  let active = reads;
  let timedOut = false;
  let wakeTimer: (() => void) | undefined;
  const timer = Number.isFinite(timeoutMs)
    ? clock.setTimer(timeoutMs, () => {
        timedOut = true;
        wakeTimer?.();
      })
    : undefined;
  const onAbort = () => wakeTimer?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (active.length === 0) {
        return fail(
          HugoError.from('All channel cases completed without yielding a value.', ErrorCodes.SelectDrained),
        );
      }
      const round = new AbortController();
      const wake = await new Promise<Wake | 'timeout' | 'abort'>((resolve) => {
        wakeTimer = () => resolve(signal?.aborted ? 'abort' : 'timeout');
        if (timedOut) resolve('timeout');
        if (signal?.aborted) resolve('abort');
        active.forEach((c, index) => {
          c.reader.waitToRead(round.signal).then(
            (hasValue) => resolve(hasValue ? { kind: 'ready', index } : { kind: 'closed', index }),
            (error) => {
              if (!round.signal.aborted) resolve({ kind: 'fault', error });
            },
          );
        });
      });
      wakeTimer = undefined;
      round.abort();
      if (wake === 'abort') return fail(HugoError.canceled(undefined, signal));
      if (wake === 'timeout') return fail(HugoError.timeout(timeoutMs));
      if (wake.kind === 'fault') return fail(toHugoError(wake.error));
      if (wake.kind === 'closed') {
        active = active.filter((_, i) => i !== wake.index);
        continue;
      }
      const taken = takeFrom(pickReady(active));
      if (taken) return invoke(() => taken.handler(taken.value, signal ?? never), signal);
    }
  } finally {
    timer?.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
}

function takeFrom<R>(
  c: ReadCase<R> | undefined,
): { handler: ReadCase<R>['handler']; value: unknown } | undefined {
  if (!c) return undefined;
  const next = c.reader.tryRead();
  return next.ok ? { handler: c.handler, value: next.value } : undefined;
}

async function invoke<R>(handler: () => CaseOutcome<R>, signal: AbortSignal | undefined): Promise<Result<R>> {
  try {
    const outcome = await handler();
    return isResult(outcome) ? (outcome as Result<R>) : ok(outcome as R);
  } catch (error) {
    if (isCancellation(error, signal)) return fail(HugoError.canceled(undefined, signal));
    return fail(HugoError.fromException(error));
  }
}
