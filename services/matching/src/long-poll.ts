/** Temporal answers an idle long poll after a minute (`matching.longPollExpirationInterval`). */
export const MAX_LONG_POLL_MS = 60_000;
/** How long before the client's deadline an idle poll answers, so the empty answer arrives before the client gives up. */
export const DEADLINE_MARGIN_MS = 5_000;

/**
 * When an idle poll answers empty: at most a minute from now and ~5 s before the client's deadline (sdk-core polls
 * with 70 s, so it gets its answer at 60 s). A short deadline keeps half of its time as margin instead.
 */
export function longPollEnd(
  now: number,
  deadline: number | undefined,
  maxMs: number = MAX_LONG_POLL_MS,
): number {
  const cap = now + maxMs;
  if (deadline === undefined) return cap;
  const remaining = deadline - now;
  if (remaining <= 0) return now;
  const margin = Math.min(DEADLINE_MARGIN_MS, remaining / 2);
  return Math.min(cap, deadline - margin);
}
