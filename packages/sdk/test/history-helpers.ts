// Hand-built Temporal histories for the runtime unit tests.
import { msToTimestamp, temporal } from '@odin/api/public';
import { defaultPayloadConverter, toPayloads } from '../src/common/payload.js';
import type { IHistoryEvent } from '../src/common/proto-types.js';

export const EventType = temporal.api.enums.v1.EventType;
export const CommandType = temporal.api.enums.v1.CommandType;
export const T0 = Date.UTC(2026, 0, 1);

/** Appends events with contiguous ids; `at` moves the event time forward. */
export class HistoryBuilder {
  readonly events: IHistoryEvent[] = [];
  now = T0;

  add(eventType: number, attributes: Record<string, unknown> = {}): number {
    const eventId = this.events.length + 1;
    this.events.push({
      eventId,
      eventTime: msToTimestamp(this.now),
      eventType,
      ...attributes,
    } as unknown as IHistoryEvent);
    return eventId;
  }

  at(ms: number): this {
    this.now = T0 + ms;
    return this;
  }

  started(workflowType: string, args: unknown[] = [], runId = 'run-1'): this {
    this.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: workflowType },
        taskQueue: { name: 'tq' },
        input: toPayloads(defaultPayloadConverter, args) ?? null,
        originalExecutionRunId: runId,
        firstExecutionRunId: runId,
        attempt: 1,
      },
    });
    return this;
  }

  /** WorkflowTaskScheduled + Started (+ Completed unless `open`). */
  workflowTask(open = false): this {
    const scheduled = this.add(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: { taskQueue: { name: 'tq' } },
    });
    const started = this.add(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: { scheduledEventId: scheduled },
    });
    if (!open) {
      this.add(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
        workflowTaskCompletedEventAttributes: { scheduledEventId: scheduled, startedEventId: started },
      });
    }
    return this;
  }

  timerStarted(timerId: string, ms: number): number {
    return this.add(EventType.EVENT_TYPE_TIMER_STARTED, {
      timerStartedEventAttributes: { timerId, startToFireTimeout: { seconds: ms / 1000 } },
    });
  }

  timerFired(timerId: string): number {
    return this.add(EventType.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId } });
  }

  activityScheduled(activityId: string, activityType: string): number {
    return this.add(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: { activityId, activityType: { name: activityType } },
    });
  }

  activityCompleted(scheduledEventId: number, result: unknown): number {
    this.add(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
      activityTaskStartedEventAttributes: { scheduledEventId },
    });
    return this.add(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
      activityTaskCompletedEventAttributes: {
        scheduledEventId,
        result: toPayloads(defaultPayloadConverter, [result]),
      },
    });
  }

  completed(result: unknown): number {
    return this.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
      workflowExecutionCompletedEventAttributes: { result: toPayloads(defaultPayloadConverter, [result]) },
    });
  }
}
