import { type Int64Like, toNumber } from '@odin/api/public';
import { ActivityFailure, CancelledFailure, failureToError, retryStateName } from '../common/failure.js';
import { firstValue, fromPayloads, type PayloadConverter } from '../common/payload.js';
import { CancellationScope } from './cancellation-scope.js';
import type { CommandBuffer } from './command-buffer.js';
import { requestCancelActivityCommand, scheduleActivityCommand } from './command-builders.js';
import { type Deferred, deferred, handled } from './deferred.js';
import { type EventEntries, noAction, recordedCommand } from './event-table.js';
import type { Headers } from '../common/interceptors.js';
import type { ActivityOptions } from './options.js';

interface PendingActivity {
  readonly activityId: string;
  readonly activityType: string;
  readonly deferred: Deferred<unknown>;
  scheduledEventId?: number;
}

type ActivityEvents =
  | 'activityTaskScheduledEventAttributes'
  | 'activityTaskStartedEventAttributes'
  | 'activityTaskCompletedEventAttributes'
  | 'activityTaskFailedEventAttributes'
  | 'activityTaskTimedOutEventAttributes'
  | 'activityTaskCancelRequestedEventAttributes'
  | 'activityTaskCanceledEventAttributes'
  | 'activityPropertiesModifiedExternallyEventAttributes';

/** The sequence numbers of a run's activities, local ones included (their ids are `String(seq)` by default). */
export class ActivitySequence {
  private seq = 0;
  next(): number {
    return ++this.seq;
  }
}

/** The run's activities: ScheduleActivityTask/RequestCancelActivityTask commands, settled by their result events. */
export class Activities {
  private readonly pending = new Map<string, PendingActivity>();
  private readonly idsByScheduledEvent = new Map<number, string>();

  constructor(
    private readonly commands: CommandBuffer,
    private readonly converter: PayloadConverter,
    private readonly defaultTaskQueue: string,
    private readonly sequence: ActivitySequence,
  ) {}

  schedule(
    activityType: string,
    args: unknown[],
    options: ActivityOptions,
    headers: Headers = {},
  ): Promise<unknown> {
    const scope = CancellationScope.current();
    const seq = this.sequence.next();
    const activityId = options.activityId ?? String(seq);
    if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
      throw new TypeError(
        `Activity ${activityType} needs startToCloseTimeout or scheduleToCloseTimeout in its options`,
      );
    }
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const state: PendingActivity = { activityId, activityType, deferred: deferred() };
    const scheduled = this.commands.issue(
      scheduleActivityCommand(
        this.converter,
        activityId,
        activityType,
        args,
        {
          ...options,
          taskQueue: options.taskQueue ?? this.defaultTaskQueue,
        },
        headers,
      ),
      (event) => {
        state.scheduledEventId = toNumber(event.eventId);
        this.idsByScheduledEvent.set(state.scheduledEventId, activityId);
      },
    );
    this.pending.set(activityId, state);
    const cancellationType = options.cancellationType ?? 'TRY_CANCEL';
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.pending.has(activityId)) return;
      if (this.commands.unsend(scheduled) || cancellationType === 'ABANDON') {
        this.pending.delete(activityId);
        state.deferred.reject(reason);
        return;
      }
      this.commands.issue(requestCancelActivityCommand(state.scheduledEventId ?? 0));
      if (cancellationType === 'TRY_CANCEL') {
        this.pending.delete(activityId);
        state.deferred.reject(reason);
      }
    });
    return handled(state.deferred.promise.finally(unsubscribe));
  }

  private settle(scheduledEventId: Int64Like, settle: (state: PendingActivity) => void): void {
    const activityId = this.idsByScheduledEvent.get(toNumber(scheduledEventId));
    const state = activityId === undefined ? undefined : this.pending.get(activityId);
    if (!state || activityId === undefined) return;
    this.pending.delete(activityId);
    settle(state);
  }

  private failure(
    state: PendingActivity,
    message: string,
    retryState: string,
    cause: Error,
  ): ActivityFailure {
    return new ActivityFailure(message, state.activityType, state.activityId, retryState, cause);
  }

  eventEntries(): EventEntries<ActivityEvents> {
    const c = this.converter;
    return {
      activityTaskScheduledEventAttributes: recordedCommand,
      activityTaskStartedEventAttributes: noAction('the result event that follows settles the activity'),
      activityTaskCompletedEventAttributes: (a) =>
        this.settle(a.scheduledEventId, (s) => s.deferred.resolve(firstValue(c, a.result))),
      activityTaskFailedEventAttributes: (a) =>
        this.settle(a.scheduledEventId, (s) =>
          s.deferred.reject(
            this.failure(
              s,
              'Activity task failed',
              retryStateName(a.retryState),
              failureToError(a.failure ?? {}, c),
            ),
          ),
        ),
      activityTaskTimedOutEventAttributes: (a) =>
        this.settle(a.scheduledEventId, (s) =>
          s.deferred.reject(
            this.failure(
              s,
              'Activity task timed out',
              retryStateName(a.retryState),
              failureToError(a.failure ?? {}, c),
            ),
          ),
        ),
      activityTaskCancelRequestedEventAttributes: recordedCommand,
      activityTaskCanceledEventAttributes: (a) =>
        this.settle(a.scheduledEventId, (s) =>
          s.deferred.reject(
            this.failure(
              s,
              'Activity task cancelled',
              'CANCEL_REQUESTED',
              new CancelledFailure('Activity cancelled', fromPayloads(c, a.details)),
            ),
          ),
        ),
      activityPropertiesModifiedExternallyEventAttributes: noAction(
        'an operator changed the activity on the server; its result event still settles it',
      ),
    };
  }
}
