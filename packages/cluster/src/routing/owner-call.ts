import { type CallContext, ServiceError, withDeadline } from '@odin/api';
import type { Clock } from '@odin/hugo';
import { status } from '@grpc/grpc-js';

/** Where one attempt goes: the role's implementation in this process, or a remote member's client. */
export interface CallTarget<Api> {
  readonly api: Api;
  /** Member id (`hostId/role`), for messages. */
  readonly memberId: string;
}

export interface OwnerCallOptions<Api> {
  readonly clock: Clock;
  readonly ctx: CallContext;
  /** The current owner per the ring; undefined while no member of the role is live. */
  resolve(): CallTarget<Api> | undefined;
  /** What the call is, for the error a caller sees when every attempt failed. */
  readonly what: string;
  /** Default deadline when the caller gave none. */
  readonly defaultTimeoutMs: number;
  /**
   * Upper bound of one attempt, so a paused (SIGSTOP) owner costs this long, not the whole deadline; undefined for
   * long polls, which must be allowed to wait. A long poll cut short answers empty, which callers poll again on.
   */
  readonly attemptTimeoutMs: number | undefined;
  /** What to answer instead of an error when the deadline passes with no owner reachable (empty poll). */
  readonly onDeadline?: () => unknown;
}

const FIRST_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 1_000;

/**
 * Calls the current owner of a shard or task queue, retrying on another resolution while ownership moves: an
 * UNAVAILABLE answer (shard not owned here, host shutting down, connection refused) or an attempt that ran out its
 * own time while the caller's deadline still allows another. Other failures are the caller's answer. Retrying is
 * safe because every history write is deduplicated (request ids, task tokens checked against mutable state).
 */
export async function callOwner<Api, T>(
  options: OwnerCallOptions<Api>,
  attempt: (api: Api, ctx: CallContext) => Promise<T>,
): Promise<T> {
  const { clock, ctx } = options;
  const deadline = ctx.deadline ?? clock.now() + options.defaultTimeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  let lastError: unknown;
  for (;;) {
    if (ctx.signal.aborted) throw ServiceError.canceled('The call was cancelled.');
    const target = options.resolve();
    if (target) {
      const attemptDeadline =
        options.attemptTimeoutMs === undefined
          ? deadline
          : Math.min(deadline, clock.now() + options.attemptTimeoutMs);
      try {
        return await attempt(target.api, withDeadline(ctx, attemptDeadline));
      } catch (error) {
        if (!retryable(error, attemptDeadline < deadline)) throw error;
        lastError = error;
      }
    }
    const left = deadline - clock.now();
    if (left <= 0) {
      if (options.onDeadline) return options.onDeadline() as T;
      throw exhausted(options.what, target?.memberId, lastError);
    }
    await clock.sleep(Math.min(backoff, left), ctx.signal).catch(() => undefined);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

function retryable(error: unknown, attemptCutShort: boolean): boolean {
  if (!(error instanceof ServiceError)) return false;
  if (error.code === status.UNAVAILABLE) return true;
  return attemptCutShort && error.code === status.DEADLINE_EXCEEDED;
}

function exhausted(what: string, memberId: string | undefined, lastError: unknown): ServiceError {
  const cause = lastError instanceof Error ? ` Last error: ${lastError.message}` : '';
  const where = memberId ? ` (last tried ${memberId})` : ' (no live member owns it)';
  const code = lastError instanceof ServiceError ? lastError.code : status.UNAVAILABLE;
  return new ServiceError(
    code === status.DEADLINE_EXCEEDED ? code : status.UNAVAILABLE,
    `${what} could not reach its owner before the deadline${where}; retry shortly.${cause}`,
  );
}
