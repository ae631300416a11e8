import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ServiceError, temporal } from '@odin/api';
import { status } from '@grpc/grpc-js';
import { DEFAULT_HISTORY_LIMITS } from '../src/index.js';
import {
  cmd,
  complete,
  ctx,
  eventName,
  type Harness,
  history,
  NS,
  pollWorkflowTask,
  setup,
  signal,
  start,
  startHistory,
} from './harness.js';

const Reason = temporal.api.enums.v1.SuggestContinueAsNewReason;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

const LIMITS = {
  ...DEFAULT_HISTORY_LIMITS,
  countSuggestContinueAsNew: 6,
  countWarn: 10,
  countError: 16,
  blobWarn: 100,
  blobError: 400,
};

function startedEvent(task: { history?: { events?: { eventType?: unknown }[] | null } | null }) {
  const events = task.history?.events ?? [];
  return events
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
    .at(-1) as
    | {
        workflowTaskStartedEventAttributes?: {
          suggestContinueAsNew?: boolean;
          suggestContinueAsNewReasons?: number[];
        };
      }
    | undefined;
}

describe('history limits', () => {
  let h: Harness;
  before(async () => {
    h = await setup('sqlite::memory:', { historyLimits: LIMITS });
  });
  after(async () => {
    await h.close();
  });

  test('WorkflowTaskStarted suggests continue-as-new from the count threshold on', async () => {
    await start(h, 'suggest');
    const first = await pollWorkflowTask(h, 'suggest');
    assert.equal(
      startedEvent(first)?.workflowTaskStartedEventAttributes?.suggestContinueAsNew ?? false,
      false,
    );
    await complete(h, first.taskToken, [cmd.timer('t', 600)]);
    await signal(h, 'suggest', 'wake');
    const second = await pollWorkflowTask(h, 'suggest');
    const attrs = startedEvent(second)?.workflowTaskStartedEventAttributes;
    assert.equal(attrs?.suggestContinueAsNew, true);
    assert.deepEqual(attrs?.suggestContinueAsNewReasons, [
      Reason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS,
    ]);
  });

  test('a running workflow is terminated instead of growing past the count limit; other workflows go on', async () => {
    await start(h, 'grows');
    const task = await pollWorkflowTask(h, 'grows');
    await complete(h, task.taskToken, [cmd.timer('t', 600)]);
    let refused: unknown;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      await signal(h, 'grows', `s${i}`).catch((error: unknown) => {
        refused = error;
      });
    }
    // The signal that would have crossed the limit is answered as a closed run answers it.
    assert.ok(refused instanceof ServiceError && refused.code === status.NOT_FOUND, String(refused));
    const events = await history(h, 'grows');
    assert.ok(events.length <= LIMITS.countError + 2, `${events.length} events`);
    const last = events.at(-1)!;
    assert.equal(eventName(last.eventType), 'WORKFLOW_EXECUTION_TERMINATED');
    assert.equal(
      last.workflowExecutionTerminatedEventAttributes?.reason,
      'Workflow history count exceeds limit.',
    );
    assert.equal(last.workflowExecutionTerminatedEventAttributes?.identity, 'history-service');
    // Other workflows go on.
    await start(h, 'other');
    const other = await pollWorkflowTask(h, 'other');
    await complete(h, other.taskToken, [cmd.complete('done')]);
    assert.equal(eventName((await history(h, 'other')).at(-1)?.eventType), 'WORKFLOW_EXECUTION_COMPLETED');
  });

  test('a completion with a command payload over the blob limit fails the task and terminates the run', async () => {
    await start(h, 'oversized');
    const task = await pollWorkflowTask(h, 'oversized');
    const reason =
      'BadScheduleActivityAttributes: CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.';
    await assert.rejects(complete(h, task.taskToken, [cmd.complete('x'.repeat(500))]), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.equal(error.message, reason);
      return true;
    });
    const events = await history(h, 'oversized');
    const names = events.map((e) => eventName(e.eventType));
    assert.deepEqual(names.slice(-2), ['WORKFLOW_TASK_FAILED', 'WORKFLOW_EXECUTION_TERMINATED']);
    const failed = events.at(-2)!.workflowTaskFailedEventAttributes;
    assert.equal(failed?.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES);
    assert.equal(failed?.failure?.message, reason);
    assert.equal(events.at(-1)!.workflowExecutionTerminatedEventAttributes?.reason, reason);
    assert.equal(events.at(-1)!.workflowExecutionTerminatedEventAttributes?.identity, 'history-service');
  });

  test('an activity input under the blob limit is accepted', async () => {
    await start(h, 'fits');
    const task = await pollWorkflowTask(h, 'fits');
    await complete(h, task.taskToken, [
      cmd.activity('a', { input: { payloads: [{ data: Buffer.alloc(300) }] } }),
    ]);
    assert.equal(eventName((await history(h, 'fits')).at(-1)?.eventType), 'ACTIVITY_TASK_SCHEDULED');
  });

  test('history pages stop at the byte budget and still hold every event', async () => {
    const h = await setup('sqlite::memory:', { historyPageBytes: 400 });
    after(() => h.close());
    await start(h, 'bytes', { input: { payloads: [{ data: Buffer.alloc(350) }] } });
    const task = await pollWorkflowTask(h, 'bytes');
    await complete(h, task.taskToken, [cmd.timer('t', 600)]);
    const ids: number[] = [];
    let token: Uint8Array | null | undefined;
    let pages = 0;
    do {
      const page = await h.history.getWorkflowExecutionHistory(
        NS,
        {
          namespace: NS.name,
          execution: { workflowId: 'bytes' },
          ...(token ? { nextPageToken: token } : {}),
        },
        ctx(),
      );
      ids.push(...(page.history?.events ?? []).map((e) => Number(e.eventId)));
      token = page.nextPageToken;
      pages++;
    } while (token && token.length > 0);
    assert.ok(pages >= 2, `${pages} pages`);
    assert.deepEqual(ids, [1, 2, 3, 4, 5]);
  });
});

describe('mutable state size limit', () => {
  test('a running workflow whose stored state is over the limit is terminated at its next transition', async () => {
    const h = await setup('sqlite::memory:', {
      historyLimits: { ...DEFAULT_HISTORY_LIMITS, stateError: 8 * 1024 },
    });
    after(() => h.close());
    for (const [workflowId, activities] of [
      ['state-big', 60],
      ['state-small', 2],
    ] as const) {
      await start(h, workflowId);
      const task = await pollWorkflowTask(h, workflowId);
      await complete(
        h,
        task.taskToken,
        Array.from({ length: activities }, (_, i) => cmd.activity(`a-${i}`)),
      );
      // Scheduling is within the limit as far as the last committed state knows: the run goes on.
      assert.equal(eventName((await history(h, workflowId)).at(-1)?.eventType), 'ACTIVITY_TASK_SCHEDULED');
      if (workflowId === 'state-small') await signal(h, workflowId, 'poke');
      else {
        // The signal's transition is replaced by the termination: the caller learns the run is closed.
        await assert.rejects(signal(h, workflowId, 'poke'), /Workflow execution already completed/);
      }
    }
    const big = (await history(h, 'state-big')).at(-1);
    assert.equal(eventName(big?.eventType), 'WORKFLOW_EXECUTION_TERMINATED');
    assert.equal(
      big?.workflowExecutionTerminatedEventAttributes?.reason,
      'Workflow mutable state size exceeds limit.',
    );
    assert.equal(big?.workflowExecutionTerminatedEventAttributes?.identity, 'history-service');
    const small = await history(h, 'state-small');
    assert.ok(
      !small.some((e) => eventName(e.eventType) === 'WORKFLOW_EXECUTION_TERMINATED'),
      'a run under the limit is not terminated',
    );
    assert.equal(eventName(small.at(-1)?.eventType), 'WORKFLOW_TASK_SCHEDULED');
  });
});

describe('runs already over a lowered limit', () => {
  test('Terminate closes them, Cancel is accepted, and a poll terminates them instead of failing', async () => {
    const h = await setup('sqlite::memory:');
    after(() => h.close());
    for (const id of ['to-terminate', 'to-cancel', 'to-poll']) {
      await start(h, id);
      const task = await pollWorkflowTask(h, id);
      await complete(h, task.taskToken, [cmd.timer('t', 600)]);
      for (let i = 0; i < 12; i++) await signal(h, id, `s${i}`);
    }
    // The same database under a host whose limit the runs already passed.
    await h.history.stop();
    const lowered = await startHistory(h.store, h.clock, h.matching, 'host-b', {
      historyLimits: { ...DEFAULT_HISTORY_LIMITS, countError: 10 },
    });
    h.history = lowered.history;
    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'to-terminate' }, reason: 'operator' },
      ctx(),
    );
    const terminated = (await history(h, 'to-terminate')).at(-1);
    assert.equal(terminated?.workflowExecutionTerminatedEventAttributes?.reason, 'operator');

    await h.history.requestCancelWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'to-cancel' }, identity: 'operator' },
      ctx(),
    );
    // Its next transition over the limit (the worker's poll) ends it.
    await assert.rejects(pollWorkflowTask(h, 'to-cancel'));
    const cancelled = (await history(h, 'to-cancel')).map((e) => eventName(e.eventType));
    assert.ok(cancelled.includes('WORKFLOW_EXECUTION_CANCEL_REQUESTED'));
    assert.equal(cancelled.at(-1), 'WORKFLOW_EXECUTION_TERMINATED');

    await assert.rejects(pollWorkflowTask(h, 'to-poll'), (error: unknown) => {
      assert.ok(error instanceof ServiceError && error.code === status.NOT_FOUND, String(error));
      return true;
    });
    const polled = (await history(h, 'to-poll')).at(-1);
    assert.equal(eventName(polled?.eventType), 'WORKFLOW_EXECUTION_TERMINATED');
    assert.equal(
      polled?.workflowExecutionTerminatedEventAttributes?.reason,
      'Workflow history count exceeds limit.',
    );
  });
});
