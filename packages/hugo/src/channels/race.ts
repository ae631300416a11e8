import { abortScope } from '../abort-scope.js';
import { abortReason } from '../result/cancellation.js';

/**
 * Runs `start(signal)` for each item and settles with the first outcome, then aborts the signal so every loser
 * withdraws its waiter. The caller's signal aborting rejects with its reason.
 */
export async function raceWithCleanup<T, R>(
  items: readonly T[],
  start: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<{ index: number; value: R }> {
  if (signal?.aborted) throw abortReason(signal);
  using round = abortScope(signal);
  try {
    return await Promise.race(
      items.map((item, index) => start(item, index, round.signal).then((value) => ({ index, value }))),
    );
  } finally {
    round.abort();
  }
}
