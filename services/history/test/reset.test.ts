import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ServiceError, temporal } from '@odin/api';
import { openWorkAt, reappliedEvents, resetPointOf } from '../src/state/reset.js';
import type { HistoryEvent } from '../src/util/codec.js';

const E = temporal.api.enums.v1.EventType;

function ev(eventId: number, eventType: number, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { eventId, eventType, ...fields } as HistoryEvent;
}

/** Started, a first task, an activity scheduled by it, a signal, and a second task. */
const events: HistoryEvent[] = [
  ev(1, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
  ev(2, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
  ev(3, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, { workflowTaskStartedEventAttributes: { scheduledEventId: 2 } }),
  ev(4, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    workflowTaskCompletedEventAttributes: { scheduledEventId: 2, startedEventId: 3 },
  }),
  ev(5, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, { activityTaskScheduledEventAttributes: { activityId: 'a1' } }),
  ev(6, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
  ev(7, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
  ev(8, E.EVENT_TYPE_WORKFLOW_TASK_STARTED, { workflowTaskStartedEventAttributes: { scheduledEventId: 7 } }),
  ev(9, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    workflowTaskCompletedEventAttributes: { scheduledEventId: 7, startedEventId: 8 },
  }),
];

describe('reset point', () => {
  test('a WorkflowTaskCompleted or WorkflowTaskStarted event cuts after the task Started event', () => {
    assert.deepEqual(resetPointOf(events, 4), { finishEventId: 4, scheduledEventId: 2, startedEventId: 3 });
    assert.deepEqual(resetPointOf(events, 8), { finishEventId: 9, scheduledEventId: 7, startedEventId: 8 });
  });

  test('any other event is INVALID_ARGUMENT', () => {
    for (const id of [1, 2, 5, 6, 42]) {
      assert.throws(
        () => resetPointOf(events, id),
        (e: ServiceError) => e.code === 3,
      );
    }
  });

  test('work still open at the point is named; closed work is not', () => {
    assert.deepEqual(openWorkAt(events.slice(0, 3)), []);
    assert.deepEqual(openWorkAt(events.slice(0, 8)), ['activity a1']);
    const completed = [
      ...events.slice(0, 8),
      ev(10, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        activityTaskCompletedEventAttributes: { scheduledEventId: 5 },
      }),
    ];
    assert.deepEqual(openWorkAt(completed), []);
  });

  test('signals after the point are reapplied unless the reapply type or the exclude list says otherwise', () => {
    const after = events.slice(3);
    assert.deepEqual(
      reappliedEvents(after, undefined, []).map((e) => e.eventId),
      [6],
    );
    const Reapply = temporal.api.enums.v1.ResetReapplyType;
    const Exclude = temporal.api.enums.v1.ResetReapplyExcludeType;
    assert.deepEqual(reappliedEvents(after, Reapply.RESET_REAPPLY_TYPE_NONE, []), []);
    assert.deepEqual(reappliedEvents(after, undefined, [Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL]), []);
  });
});
