import { durationToMs, msToDuration, temporal, toNumber } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { Failure } from '../util/codec.js';
import type { Loose } from '../util/proto.js';
import type { ActivityInfo, RetrySettings } from './mutable-state.js';

export const RetryState = temporal.api.enums.v1.RetryState;
type RetryStateValue = T.api.enums.v1.RetryState;

export interface NormalizedTimeouts {
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
}

/**
 * Temporal's activity timeout rules: start-to-close or schedule-to-close must be set; schedule-to-start defaults to
 * schedule-to-close (else the run timeout); start-to-close is at most schedule-to-close; everything is capped at the
 * run timeout; heartbeat at most start-to-close. 0 means unset. Returns an error message for invalid input.
 */
export function normalizeActivityTimeouts(
  attrs: T.api.command.v1.IScheduleActivityTaskCommandAttributes,
  runTimeoutMs: number,
): NormalizedTimeouts | string {
  let s2c = durationToMs(attrs.scheduleToCloseTimeout) ?? 0;
  let s2s = durationToMs(attrs.scheduleToStartTimeout) ?? 0;
  let stc = durationToMs(attrs.startToCloseTimeout) ?? 0;
  let hb = durationToMs(attrs.heartbeatTimeout) ?? 0;
  if (s2c < 0 || s2s < 0 || stc < 0 || hb < 0) return 'A negative activity timeout is invalid.';
  if (s2c === 0 && stc === 0) {
    return 'ScheduleToCloseTimeout or StartToCloseTimeout must be set on ScheduleActivityTask.';
  }
  const cap = (v: number) => (runTimeoutMs > 0 && (v === 0 || v > runTimeoutMs) ? runTimeoutMs : v);
  s2c = cap(s2c);
  if (s2c > 0) {
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    stc = stc > 0 ? Math.min(stc, s2c) : s2c;
  } else {
    s2s = cap(s2s);
  }
  stc = cap(stc);
  hb = Math.min(hb, stc);
  return { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: stc, heartbeatMs: hb };
}

/** The policy on the command, with Temporal's defaults: 1s initial, ×2, max 100×initial, unlimited attempts. */
export function retrySettings(policy: T.api.common.v1.IRetryPolicy | null | undefined): RetrySettings {
  const initial = durationToMs(policy?.initialInterval) || 1000;
  const coefficient =
    policy?.backoffCoefficient && policy.backoffCoefficient >= 1 ? policy.backoffCoefficient : 2;
  const maximum = durationToMs(policy?.maximumInterval) || initial * 100;
  return {
    initialIntervalMs: initial,
    backoffCoefficient: coefficient,
    maximumIntervalMs: Math.max(maximum, initial),
    maximumAttempts: Math.max(0, toNumber(policy?.maximumAttempts)),
    nonRetryableErrorTypes: [...(policy?.nonRetryableErrorTypes ?? [])],
  };
}

export function retryPolicyProto(r: RetrySettings): Loose<T.api.common.v1.IRetryPolicy> {
  return {
    initialInterval: msToDuration(r.initialIntervalMs),
    backoffCoefficient: r.backoffCoefficient,
    maximumInterval: msToDuration(r.maximumIntervalMs),
    maximumAttempts: r.maximumAttempts,
    nonRetryableErrorTypes: r.nonRetryableErrorTypes,
  };
}

export type RetryDecision = { retry: true; backoffMs: number } | { retry: false; state: RetryStateValue };

/**
 * Whether the attempt that just failed (or timed out) is retried, and after how long. `failure` is the worker's
 * failure (undefined for timeouts). Retries stop at max attempts, on non-retryable failures and when the next
 * attempt would start after the schedule-to-close deadline.
 */
export function decideRetry(ai: ActivityInfo, now: number, failure: Failure | undefined): RetryDecision {
  const deadline = ai.scheduleToCloseMs > 0 ? ai.scheduledTime + ai.scheduleToCloseMs : 0;
  return decideRetryWith(ai.retry, ai.attempt, now, deadline, failure);
}

/** The retry rule shared by activities and workflows; `deadline` 0 = none (epoch ms the next attempt must start by). */
export function decideRetryWith(
  r: RetrySettings,
  attempt: number,
  now: number,
  deadline: number,
  failure: Failure | undefined,
): RetryDecision {
  const app = failure?.applicationFailureInfo;
  if (app?.nonRetryable) return { retry: false, state: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  if (app?.type && r.nonRetryableErrorTypes.includes(app.type)) {
    return { retry: false, state: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE };
  }
  if (r.maximumAttempts > 0 && attempt >= r.maximumAttempts) {
    return { retry: false, state: RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED };
  }
  const explicit = durationToMs(app?.nextRetryDelay);
  let backoff =
    explicit && explicit > 0 ? explicit : r.initialIntervalMs * r.backoffCoefficient ** (attempt - 1);
  if (!(explicit && explicit > 0)) backoff = Math.min(backoff, r.maximumIntervalMs);
  backoff = Math.floor(backoff);
  if (deadline > 0 && now + backoff > deadline) {
    return { retry: false, state: RetryState.RETRY_STATE_TIMEOUT };
  }
  return { retry: true, backoffMs: backoff };
}
