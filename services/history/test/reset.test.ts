import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type ServiceError, temporal, type WorkflowServiceRequest } from '@odin/api';
import { Mutation } from '../src/state/history-builder.js';
import type { MutableState } from '../src/state/mutable-state.js';
import { resetPointOf } from '../src/state/reset.js';
import { resumePendingWork } from '../src/state/reset-resume.js';
import { pendingWorkAt } from '../src/state/reset-pending.js';
import { reappliedEvents, reapplyExclusions } from '../src/state/reset-reapply.js';
import type { HistoryEvent } from '../src/util/codec.js';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventName,
  eventNames,
  history,
  NS,
  payloadText,
  payloads,
  pollActivityTask,
  pollWorkflowTask,
  settle,
  setup,
  signal,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

type Req = WorkflowServiceRequest<'ResetWorkflowExecutionRequest'>;

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

  test('the work open at the point is what the kept history leaves open', () => {
    const work = pendingWorkAt(events.slice(0, 8));
    assert.deepEqual([...work.activities.keys()], [5]);
    assert.equal(work.activities.get(5)?.started, undefined);
    const closed = pendingWorkAt([
      ...events.slice(0, 8),
      ev(10, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
        activityTaskStartedEventAttributes: { scheduledEventId: 5 },
      }),
      ev(11, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        activityTaskCompletedEventAttributes: { scheduledEventId: 5 },
      }),
      ev(12, E.EVENT_TYPE_TIMER_STARTED, { timerStartedEventAttributes: { timerId: 't1' } }),
      ev(13, E.EVENT_TYPE_TIMER_STARTED, { timerStartedEventAttributes: { timerId: 't2' } }),
      ev(14, E.EVENT_TYPE_TIMER_FIRED, { timerFiredEventAttributes: { timerId: 't1' } }),
      ev(15, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
      ev(16, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
      ev(17, E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
        externalWorkflowExecutionSignaledEventAttributes: { initiatedEventId: 15 },
      }),
      ev(18, E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
        startChildWorkflowExecutionInitiatedEventAttributes: { workflowId: 'kid' },
      }),
      ev(19, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
        workflowExecutionUpdateAcceptedEventAttributes: { protocolInstanceId: 'u1' },
      }),
    ]);
    assert.deepEqual([...closed.activities.keys()], []);
    assert.deepEqual([...closed.timers.keys()], ['t2']);
    assert.deepEqual(
      [...closed.external.entries()].map(([id, x]) => [id, x.kind]),
      [[16, 'cancel']],
    );
    assert.deepEqual([...closed.children.keys()], [18]);
    assert.deepEqual([...closed.updates.entries()], [['u1', { acceptedEventId: 19, completedEventId: 0 }]]);
  });

  test('the reapply type and exclude list choose what comes back, as Temporal reads them', () => {
    const Reapply = temporal.api.enums.v1.ResetReapplyType;
    const Exclude = temporal.api.enums.v1.ResetReapplyExcludeType;
    const request = (updateId: string) => ({ meta: { updateId }, input: { name: 'u' } });
    const kept = [
      ...events.slice(0, 3),
      ev(4, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, {
        workflowExecutionUpdateAdmittedEventAttributes: { request: request('old') },
      }),
    ];
    const after = [
      ev(5, E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
      ev(6, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
        workflowExecutionUpdateAcceptedEventAttributes: {
          protocolInstanceId: 'u1',
          acceptedRequest: request('u1'),
        },
      }),
      ev(7, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED),
      // Admitted in the kept history: the worker gets it from there, its acceptance is not repeated.
      ev(8, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
        workflowExecutionUpdateAcceptedEventAttributes: {
          protocolInstanceId: 'old',
          acceptedRequest: request('old'),
        },
      }),
      ev(9, E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED, {
        workflowExecutionUpdateAdmittedEventAttributes: { request: request('u2') },
      }),
      ev(10, E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED),
    ];
    const ids = (type: number | undefined, exclude: number[] = []) =>
      reappliedEvents(kept, after, reapplyExclusions(type, exclude)).map((e) => e.eventId);
    assert.deepEqual(ids(undefined), [5, 6, 9]);
    assert.deepEqual(ids(Reapply.RESET_REAPPLY_TYPE_ALL_ELIGIBLE), [5, 6, 9]);
    assert.deepEqual(ids(Reapply.RESET_REAPPLY_TYPE_SIGNAL), [5]);
    assert.deepEqual(ids(Reapply.RESET_REAPPLY_TYPE_NONE), []);
    assert.deepEqual(ids(undefined, [Exclude.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL]), [6, 9]);
    assert.deepEqual(ids(undefined, [Exclude.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE]), [5]);
  });
});

describe('resuming the work open at a reset point', () => {
  const now = Date.UTC(2026, 0, 1, 0, 10);
  const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
  const kept = [
    ev(5, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: {
        activityId: 'a1',
        activityType: { name: 'act' },
        taskQueue: { name: 'tq' },
        scheduleToCloseTimeout: { seconds: 600 },
        startToCloseTimeout: { seconds: 10 },
      },
    }),
    ev(6, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
      activityTaskStartedEventAttributes: { scheduledEventId: 5, identity: 'w1' },
    }),
    ev(7, E.EVENT_TYPE_TIMER_STARTED, {
      eventTime: at(now - 30_000),
      timerStartedEventAttributes: { timerId: 't1', startToFireTimeout: { seconds: 60 } },
    }),
    ev(8, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
    ev(9, E.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
  ] as HistoryEvent[];

  test('a started activity fails (reset, no retry); timers keep their expiry; external requests are sent again', () => {
    const ms = {
      namespaceId: 'ns',
      workflowId: 'wf',
      runId: 'new',
      nextEventId: 20,
      activities: {},
      timers: {},
    };
    const mut = new Mutation(ms as unknown as MutableState, now, randomUUID);
    resumePendingWork(mut, pendingWorkAt(kept), kept, 'bad deploy');
    const failed = mut.events[0]?.activityTaskFailedEventAttributes;
    assert.equal(eventName(mut.events[0]?.eventType), 'ACTIVITY_TASK_FAILED');
    assert.equal(failed?.scheduledEventId, 5);
    assert.equal(failed?.startedEventId, 6);
    assert.equal(failed?.identity, 'w1');
    assert.equal(failed?.retryState, temporal.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
    assert.equal(failed?.failure?.message, 'bad deploy');
    assert.ok(failed?.failure?.resetWorkflowFailureInfo);
    assert.deepEqual(mut.ms.activities, {}, 'the failed activity is closed');
    assert.deepEqual(mut.ms.timers, { t1: { timerId: 't1', startedEventId: 7, expiryTime: now + 30_000 } });
    assert.deepEqual(mut.ms.pendingExternal, { 8: 'signal', 9: 'cancel' });
    assert.deepEqual(
      mut.tasks.map((t) => [t.taskType, t.fireTime]),
      [
        ['user-timer', now + 30_000],
        ['signal-external', now],
        ['cancel-external', now],
      ],
    );
  });

  test('an activity without its Started event is scheduled again, its schedule-to-close counted from now', () => {
    const ms = {
      namespaceId: 'ns',
      workflowId: 'wf',
      runId: 'new',
      nextEventId: 20,
      activities: {},
      timers: {},
    };
    const mut = new Mutation(ms as unknown as MutableState, now, randomUUID);
    const scheduledOnly = kept.slice(0, 1);
    resumePendingWork(mut, pendingWorkAt(scheduledOnly), scheduledOnly, 'bad deploy');
    assert.deepEqual(mut.events, []);
    const ai = mut.ms.activities['5'];
    assert.equal(ai?.phase, 'scheduled');
    assert.equal(ai?.attempt, 1);
    assert.equal(ai?.scheduledTime, now);
    assert.deepEqual(
      mut.tasks.map((t) => [t.taskType, t.fireTime]),
      [
        ['activity-task', now],
        ['activity-timeout', now + 600_000],
      ],
    );
  });
});

const Code = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, FAILED_PRECONDITION: 9 };

async function reset(h: Harness, workflowId: string, point: number, extra: Record<string, unknown> = {}) {
  const res = await h.history.resetWorkflowExecution(
    NS,
    {
      namespace: NS.name,
      workflowExecution: { workflowId },
      reason: 'bad deploy',
      // A plain number, as the decoded request may carry it.
      workflowTaskFinishEventId: point as unknown as Req['workflowTaskFinishEventId'],
      requestId: randomUUID(),
      identity: 'operator',
      ...extra,
    },
    ctx(),
  );
  await settle();
  return res.runId!;
}

function idOf(events: Awaited<ReturnType<typeof history>>, name: string, nth = 0): number {
  const found = events.filter((e) => eventName(e.eventType) === name)[nth];
  assert.ok(found, `no ${name} #${nth}`);
  return Number(found.eventId);
}

describe('reset over open work', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('open activities are scheduled again, an open timer keeps its expiry, later signals come back', async () => {
    const baseRunId = await start(h, 'wf-open');
    const first = await pollWorkflowTask(h, 'wf-open');
    await complete(h, first.taskToken, [
      cmd.activity('waiting'),
      cmd.activity('running'),
      cmd.timer('t1', 60),
    ]);
    const running = await pollActivityTask(h, 'wf-open');
    assert.equal(running.activityId, 'running');
    h.matching.activityTasks.length = 0;
    await signal(h, 'wf-open', 'before', 'sig-before');
    await complete(h, (await pollWorkflowTask(h, 'wf-open')).taskToken, []);
    await signal(h, 'wf-open', 'after', 'sig-after');
    await complete(h, (await pollWorkflowTask(h, 'wf-open')).taskToken, []);
    await advance(h, 10_000);
    const base = await history(h, 'wf-open', baseRunId);
    const point = idOf(base, 'WORKFLOW_TASK_COMPLETED', 1);

    const runId = await reset(h, 'wf-open', point);
    const names = (await eventNames(h, 'wf-open', runId)).slice(point - 1);
    assert.deepEqual(names, [
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    // Both activities go to matching again for the new run, the one a worker was running too.
    assert.deepEqual(
      h.matching.activityTasks.filter((t) => t.runId === runId).map((t) => t.scheduledEventId),
      [idOf(base, 'ACTIVITY_TASK_SCHEDULED', 0), idOf(base, 'ACTIVITY_TASK_SCHEDULED', 1)],
    );
    // The base run's attempt can no longer complete: its run is closed.
    await assert.rejects(
      h.history.respondActivityTaskCompleted(
        NS,
        { namespace: NS.name, taskToken: running.taskToken, result: payloads('late'), identity: 'worker' },
        ctx(),
      ),
      (e: ServiceError) => e.code === Code.NOT_FOUND,
    );
    // A retry of a signal the new run got again is recognised.
    await signal(h, 'wf-open', 'after', 'sig-after');
    assert.equal(
      (await eventNames(h, 'wf-open', runId)).filter((n) => n === 'WORKFLOW_EXECUTION_SIGNALED').length,
      2,
    );
    const wft = await pollWorkflowTask(h, 'wf-open');
    await complete(h, wft.taskToken, []);
    // The timer fires when its original minute is up (50 s after the reset), not a minute after the reset.
    await advance(h, 49_000);
    assert.ok(!(await eventNames(h, 'wf-open', runId)).includes('TIMER_FIRED'));
    await advance(h, 1_000);
    assert.ok((await eventNames(h, 'wf-open', runId)).includes('TIMER_FIRED'));
    const again = await pollActivityTask(h, 'wf-open');
    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: again.taskToken, result: payloads('done'), identity: 'worker' },
      ctx(),
    );
    await settle();
    const events = await history(h, 'wf-open', runId);
    const completed = events.find((e) => eventName(e.eventType) === 'ACTIVITY_TASK_COMPLETED');
    assert.equal(payloadText(completed?.activityTaskCompletedEventAttributes?.result), 'done');
  });

  test('a signal the base run still buffered (a workflow task in flight) is reapplied', async () => {
    await start(h, 'wf-buffered');
    const task = await pollWorkflowTask(h, 'wf-buffered');
    assert.ok(task.taskToken);
    await signal(h, 'wf-buffered', 'late');
    const runId = await reset(h, 'wf-buffered', 3);
    const events = await history(h, 'wf-buffered', runId);
    assert.deepEqual(
      events.slice(3).map((e) => eventName(e.eventType)),
      ['WORKFLOW_TASK_FAILED', 'WORKFLOW_EXECUTION_SIGNALED', 'WORKFLOW_TASK_SCHEDULED'],
    );
    assert.equal(events[4]?.workflowExecutionSignaledEventAttributes?.signalName, 'late');
  });

  test('signals of the runs the base run continued as are reapplied too', async () => {
    const baseRunId = await start(h, 'wf-chain');
    await complete(h, (await pollWorkflowTask(h, 'wf-chain')).taskToken, []);
    await signal(h, 'wf-chain', 'in-base');
    await complete(h, (await pollWorkflowTask(h, 'wf-chain')).taskToken, [
      {
        commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: 'tq' },
          input: payloads('next'),
        },
      },
    ]);
    await signal(h, 'wf-chain', 'in-next');
    const runId = await reset(h, 'wf-chain', 4, {
      workflowExecution: { workflowId: 'wf-chain', runId: baseRunId },
    });
    const signals = (await history(h, 'wf-chain', runId))
      .filter((e) => e.workflowExecutionSignaledEventAttributes)
      .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);
    assert.deepEqual(signals, ['in-base', 'in-next']);
  });

  test('a child open at the point is taken over by the new run: its close, sent to the base run, reaches it', async () => {
    const baseRunId = await start(h, 'wf-parent');
    await complete(h, (await pollWorkflowTask(h, 'wf-parent')).taskToken, [cmd.startChild('wf-kid')]);
    const childTask = await pollWorkflowTask(h, 'wf-kid');
    await complete(h, (await pollWorkflowTask(h, 'wf-parent')).taskToken, []);
    const point = idOf(await history(h, 'wf-parent', baseRunId), 'WORKFLOW_TASK_COMPLETED', 1);
    const runId = await reset(h, 'wf-parent', point);
    // The base run, terminated by the reset, applied no parent-close policy: the child still runs.
    const child = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'wf-kid' } },
      ctx(),
    );
    assert.equal(
      child.workflowExecutionInfo?.status,
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    );
    await complete(h, childTask.taskToken, [cmd.complete('kid-out')]);
    await settle();
    const events = await history(h, 'wf-parent', runId);
    const done = events.find((e) => e.childWorkflowExecutionCompletedEventAttributes);
    assert.equal(payloadText(done?.childWorkflowExecutionCompletedEventAttributes?.result), 'kid-out');
    assert.equal(Number(done?.childWorkflowExecutionCompletedEventAttributes?.startedEventId), 6);
    assert.ok(Number(done?.eventId) > point, 'recorded in the new run');
    const baseEvents = await eventNames(h, 'wf-parent', baseRunId);
    assert.equal(baseEvents.at(-1), 'WORKFLOW_EXECUTION_TERMINATED');
  });

  test('what the base run recorded after the point about a child it hands over is recorded again', async () => {
    const baseRunId = await start(h, 'wf-parent2');
    await complete(h, (await pollWorkflowTask(h, 'wf-parent2')).taskToken, [cmd.startChild('wf-kid2')]);
    const childTask = await pollWorkflowTask(h, 'wf-kid2');
    const point = 4; // the first task's Completed event: the child is initiated after it, not kept
    const second = await pollWorkflowTask(h, 'wf-parent2');
    await complete(h, second.taskToken, []);
    await complete(h, childTask.taskToken, [cmd.complete('kid2-out')]);
    await settle();
    // Reset to the second task: the child's initiation and start are kept, its completion came after the point.
    const secondPoint = idOf(await history(h, 'wf-parent2', baseRunId), 'WORKFLOW_TASK_COMPLETED', 1);
    assert.ok(secondPoint > point);
    const runId = await reset(h, 'wf-parent2', secondPoint);
    const names = (await eventNames(h, 'wf-parent2', runId)).slice(secondPoint - 1);
    assert.deepEqual(names, [
      'WORKFLOW_TASK_FAILED',
      'CHILD_WORKFLOW_EXECUTION_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const events = await history(h, 'wf-parent2', runId);
    const done = events.find((e) => e.childWorkflowExecutionCompletedEventAttributes);
    assert.equal(payloadText(done?.childWorkflowExecutionCompletedEventAttributes?.result), 'kid2-out');
  });
});

describe('post-reset operations', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a signal_workflow operation is written into the new run after the reapplied signals', async () => {
    await start(h, 'wf-post');
    await complete(h, (await pollWorkflowTask(h, 'wf-post')).taskToken, []);
    await signal(h, 'wf-post', 'later');
    const runId = await reset(h, 'wf-post', 4, {
      postResetOperations: [
        {
          signalWorkflow: {
            signalName: 'after-reset',
            input: payloads('fixed'),
            header: { fields: { trace: payloads('t1').payloads?.[0] } },
          },
        },
        { signalWorkflow: { signalName: 'second' } },
      ],
    });
    const events = await history(h, 'wf-post', runId);
    assert.deepEqual(
      events.slice(3).map((e) => eventName(e.eventType)),
      [
        'WORKFLOW_TASK_FAILED',
        'WORKFLOW_EXECUTION_SIGNALED',
        'WORKFLOW_EXECUTION_SIGNALED',
        'WORKFLOW_EXECUTION_SIGNALED',
        'WORKFLOW_TASK_SCHEDULED',
      ],
    );
    const signals = events.map((e) => e.workflowExecutionSignaledEventAttributes).filter((a) => !!a);
    assert.deepEqual(
      signals.map((a) => a.signalName),
      ['later', 'after-reset', 'second'],
    );
    assert.equal(payloadText(signals[1]?.input), 'fixed');
    assert.ok(signals[1]?.header?.fields?.trace, 'the header is kept');
    assert.equal(signals[1]?.identity, 'operator', "the reset's identity");
  });

  test('an update_workflow_options operation (versioning) is refused, UNIMPLEMENTED, and nothing changes', async () => {
    const baseRunId = await start(h, 'wf-post-options');
    await complete(h, (await pollWorkflowTask(h, 'wf-post-options')).taskToken, []);
    await assert.rejects(
      reset(h, 'wf-post-options', 4, {
        postResetOperations: [
          { signalWorkflow: { signalName: 'fine' } },
          {
            updateWorkflowOptions: {
              workflowExecutionOptions: { versioningOverride: { autoUpgrade: true } },
              updateMask: { paths: ['versioning_override'] },
            },
          },
        ],
      }),
      (e: ServiceError) => e.code === 12 && /update_workflow_options/.test(e.message),
    );
    await assert.rejects(
      reset(h, 'wf-post-options', 4, { postResetOperations: [{}] }),
      (e: ServiceError) => e.code === Code.INVALID_ARGUMENT,
    );
    await assert.rejects(
      reset(h, 'wf-post-options', 4, { postResetOperations: [{ signalWorkflow: { signalName: '' } }] }),
      (e: ServiceError) => e.code === Code.INVALID_ARGUMENT,
    );
    const described = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'wf-post-options' } },
      ctx(),
    );
    assert.equal(described.workflowExecutionInfo?.execution?.runId, baseRunId);
    assert.equal(
      described.workflowExecutionInfo?.status,
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    );
  });
});
