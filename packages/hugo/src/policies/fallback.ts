import { type Clock, systemClock } from '../clock.js';
import { ErrGroup } from '../errgroup.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, type Result } from '../result/result.js';
import { runCompensation } from './compensation.js';
import type { StepOperation } from './context.js';
import { executeStep } from './executor.js';
import { ResultExecutionPolicy } from './policy.js';

/** One tier of `tieredFallback`: strategies that race each other. Hugo's `ResultFallbackTier<T>`. */
export interface FallbackTier<T> {
  readonly name: string;
  readonly strategies: readonly StepOperation<T>[];
}

export function fallbackTier<T>(name: string, ...strategies: StepOperation<T>[]): FallbackTier<T> {
  if (!name.trim()) throw new TypeError('A fallback tier needs a name.');
  if (strategies.length === 0) throw new RangeError('At least one fallback strategy must be provided.');
  return Object.freeze({ name, strategies: Object.freeze([...strategies]) });
}

function decorate(error: HugoError, tier: string, tierIndex: number, strategyIndex?: number): HugoError {
  const entries: [string, unknown][] = [
    ['fallbackTier', tier],
    ['tierIndex', tierIndex],
  ];
  if (strategyIndex !== undefined) entries.push(['strategyIndex', strategyIndex]);
  return error.withMetadata(entries);
}

interface TierOptions {
  policy: ResultExecutionPolicy;
  clock: Clock;
  signal: AbortSignal | undefined;
}

async function runTier<T>(tier: FallbackTier<T>, tierIndex: number, o: TierOptions): Promise<Result<T>> {
  const group = new ErrGroup(o.signal);
  let winner: Result<T> | undefined;
  const errors: HugoError[] = [];
  try {
    tier.strategies.forEach((strategy, strategyIndex) => {
      group.go(async (signal) => {
        const { result, compensation } = await executeStep(
          strategy,
          `${tier.name}[${strategyIndex}]`,
          o.policy,
          o.clock,
          signal,
        );
        if (result.ok) {
          if (winner === undefined) {
            winner = result;
            compensation.clear();
            group.cancel();
          } else {
            // A second success after the race was decided is undone (Hugo drops its compensations).
            const undoError = await runCompensation(o.policy.compensation, compensation, o.signal);
            if (undoError) errors.push(decorate(undoError, tier.name, tierIndex, strategyIndex));
          }
          return;
        }
        compensation.clear();
        // Losers aborted by the winner are not failures of the tier.
        if (result.error.code === ErrorCodes.Canceled && !o.signal?.aborted) return;
        errors.push(decorate(result.error, tier.name, tierIndex, strategyIndex));
      });
    });
    await group.wait();
  } finally {
    group.dispose();
  }
  if (winner !== undefined) return winner;
  if (o.signal?.aborted) return fail(HugoError.canceled(undefined, o.signal));
  if (errors.length === 0) {
    return fail(
      decorate(HugoError.unspecified('Tier completed without producing a result.'), tier.name, tierIndex),
    );
  }
  return fail(
    errors.length === 1
      ? errors[0]
      : HugoError.aggregate(`Tier '${tier.name}' exhausted all strategies.`, ...errors),
  );
}

/**
 * Tries tiers in order until one produces a value; within a tier the strategies race in an ErrGroup and the first
 * success aborts the others. Failures carry metadata `fallbackTier`, `tierIndex` and `strategyIndex`. Hugo's
 * `Result.TieredFallbackAsync`. No tiers → `error.validation`; a cancellation ends the fallback at once.
 */
export async function tieredFallback<T>(
  tiers: readonly FallbackTier<T>[],
  options: { policy?: ResultExecutionPolicy; clock?: Clock; signal?: AbortSignal } = {},
): Promise<Result<T>> {
  if (tiers.length === 0) return fail(HugoError.validation('No fallback tiers were provided.'));
  const o: TierOptions = {
    policy: options.policy ?? ResultExecutionPolicy.default,
    clock: options.clock ?? systemClock,
    signal: options.signal,
  };
  const tierErrors: HugoError[] = [];
  for (let i = 0; i < tiers.length; i++) {
    if (o.signal?.aborted) return fail(HugoError.canceled(undefined, o.signal));
    const result = await runTier(tiers[i]!, i, o);
    if (result.ok) return result;
    if (result.error.code === ErrorCodes.Canceled) return result;
    tierErrors.push(result.error);
  }
  return fail(
    tierErrors.length === 1
      ? tierErrors[0]
      : HugoError.aggregate('Fallback pipeline exhausted all tiers.', ...tierErrors),
  );
}
