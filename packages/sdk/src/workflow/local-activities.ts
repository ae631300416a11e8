import {
  ActivityFailure,
  CancelledFailure,
  failureToError,
  type TemporalFailure,
} from '../common/failure.js';
import type {
  LocalActivityMarkerData,
  LocalActivityOutcome,
  LocalActivityResolution,
} from '../common/local-activity-marker.js';
import { type PayloadConverter, toPayloads } from '../common/payload.js';
import type { IPayload, IPayloads } from '../common/proto-types.js';
import type { ActivitySequence } from './activities.js';
import { CancellationScope } from './cancellation-scope.js';
import type { CommandBuffer } from './command-buffer.js';
import { localActivityMarkerCommand } from './command-builders.js';
import { type Deferred, deferred, handled } from './deferred.js';
import { LocalActivityDoBackoff } from './errors.js';
import type { LocalActivityOptions } from './options.js';

/** What the worker needs to run one local activity (one schedule: it retries locally below the threshold). */
export interface LocalActivityRequest {
  readonly seq: number;
  readonly activityId: string;
  readonly activityType: string;
  readonly args: IPayloads | undefined;
  readonly headers: Record<string, IPayload>;
  /** The first attempt this schedule makes (above 1 after a timer backoff). */
  readonly attempt: number;
  /** Wall-clock time of the first attempt of the first schedule; unset for a first schedule. */
  readonly originalScheduleTime: number | undefined;
  readonly options: LocalActivityOptions;
  /** Aborted when the workflow cancels the activity. */
  readonly signal: AbortSignal;
}

interface PendingLocalActivity {
  readonly request: LocalActivityRequest;
  readonly deferred: Deferred<unknown>;
  readonly controller: AbortController;
}

/**
 * The run's local activities. Scheduling one issues no command: the worker runs it once the workflow is blocked
 * (or, on replay, finds its marker in the workflow task's recorded commands) and the outcome is delivered with
 * `resolve`, which issues the RecordMarker command and settles the workflow's promise — the same point in the
 * activation either way, so live runs and replays produce the same commands.
 */
export class LocalActivities {
  private readonly pending = new Map<number, PendingLocalActivity>();

  constructor(
    private readonly commands: CommandBuffer,
    private readonly converter: PayloadConverter,
    private readonly sequence: ActivitySequence,
    /** Moves workflow time to a resolution's complete time (as core does). */
    private readonly setTime: (ms: number) => void,
  ) {}

  schedule(
    activityType: string,
    args: unknown[],
    options: LocalActivityOptions,
    attempt: number,
    originalScheduleTime: number | undefined,
    headers: Record<string, IPayload> = {},
  ): Promise<unknown> {
    if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
      throw new TypeError(
        `Local activity ${activityType} needs startToCloseTimeout or scheduleToCloseTimeout in its options`,
      );
    }
    const scope = CancellationScope.current();
    const seq = this.sequence.next();
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const controller = new AbortController();
    const request: LocalActivityRequest = {
      seq,
      activityId: String(seq),
      activityType,
      args: toPayloads(this.converter, args),
      headers,
      attempt,
      originalScheduleTime,
      options,
      signal: controller.signal,
    };
    const state: PendingLocalActivity = { request, deferred: deferred(), controller };
    this.pending.set(seq, state);
    const cancellationType = options.cancellationType ?? 'TRY_CANCEL';
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.pending.has(seq)) return;
      controller.abort(reason);
      // Waiting for the cancellation to complete: the activity's own outcome is recorded when it arrives.
      if (cancellationType === 'WAIT_CANCELLATION_COMPLETED') return;
      this.resolve({
        data: {
          seq,
          attempt,
          activityId: request.activityId,
          activityType,
          completeTime: undefined,
          backoffMs: undefined,
          originalScheduleTime,
        },
        outcome: { kind: 'cancelled', failure: { message: 'Activity cancelled', canceledFailureInfo: {} } },
      });
    });
    return handled(state.deferred.promise.finally(unsubscribe));
  }

  /** Local activities scheduled and not resolved yet, by sequence number. */
  unresolved(): LocalActivityRequest[] {
    return [...this.pending.values()].map((p) => p.request);
  }

  /** Aborts the local activities still running (the run ended without waiting for them). */
  abortUnresolved(): void {
    for (const state of this.pending.values()) {
      state.controller.abort(new CancelledFailure('The workflow run ended before the local activity'));
    }
  }

  /**
   * Delivers an outcome (from the worker or from a recorded marker): issues the marker command and settles the
   * workflow's promise. False when the activity is no longer waiting (cancelled, or already resolved).
   */
  resolve(resolution: LocalActivityResolution): boolean {
    const state = this.pending.get(resolution.data.seq);
    if (!state) return false;
    this.pending.delete(resolution.data.seq);
    this.commands.issue(localActivityMarkerCommand(resolution));
    if (resolution.data.completeTime !== undefined) this.setTime(resolution.data.completeTime);
    const outcome = resolution.outcome;
    if (outcome.kind === 'completed') {
      state.deferred.resolve(this.converter.fromPayload(outcome.result));
    } else if (resolution.data.backoffMs !== undefined) {
      state.deferred.reject(
        new LocalActivityDoBackoff(
          resolution.data.attempt + 1,
          resolution.data.backoffMs,
          resolution.data.originalScheduleTime,
        ),
      );
    } else {
      state.deferred.reject(this.errorOf(resolution.data, outcome));
    }
    return true;
  }

  /**
   * The error the workflow sees, as the official SDK builds it: a failure as the activity threw it, a timeout or
   * a cancellation wrapped in an ActivityFailure.
   */
  private errorOf(
    data: LocalActivityMarkerData,
    outcome: Exclude<LocalActivityOutcome, { kind: 'completed' }>,
  ) {
    const cause: TemporalFailure = failureToError(outcome.failure, this.converter);
    if (outcome.kind === 'failed') return cause;
    // Core names CANCEL_REQUESTED as the retry state of both.
    const message = outcome.kind === 'timedOut' ? 'Local Activity timed out' : 'Local Activity cancelled';
    return new ActivityFailure(message, data.activityType, data.activityId, 'CANCEL_REQUESTED', cause);
  }
}
