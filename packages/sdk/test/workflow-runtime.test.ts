import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter, firstValue } from '../src/common/payload.js';
import { runWorkflowTask } from '../src/workflow/task-runner.js';
import { WorkflowSimulator } from '../src/testing/workflow-simulator.js';
import { CommandType, EventType, HistoryBuilder, T0 } from './history-helpers.js';
import * as workflows from './workflows/basic.js';

const activities = {
  greet: async (name: string) => `Hello, ${name}!`,
  charge: async (amount: number) => `ch-${amount}`,
  refund: async () => undefined,
  explode: async () => {
    throw new Error('boom');
  },
};

function run(history: HistoryBuilder, queries?: { id: string; queryType: string }[]) {
  return runWorkflowTask({
    namespace: 'default',
    workflowId: 'wf-1',
    runId: 'run-1',
    history: history.events,
    workflows,
    ...(queries ? { queries } : {}),
  });
}

function simulate(type: string, args: unknown[] = [], runId?: string) {
  return new WorkflowSimulator({ workflows, activities }, type, args, runId ? { runId } : {});
}

describe('command generation', () => {
  test('the first task of a workflow that calls an activity emits ScheduleActivityTask with its type and timeout', async () => {
    const outcome = await run(new HistoryBuilder().started('greeting', ['Ada']).workflowTask(true));
    assert.equal(outcome.nondeterminism, undefined);
    assert.equal(outcome.commands.length, 1);
    const command = outcome.commands[0]!;
    assert.equal(command.commandType, CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    const attributes = command.scheduleActivityTaskCommandAttributes!;
    assert.equal(attributes.activityType?.name, 'greet');
    assert.equal(attributes.activityId, '1');
    assert.equal(attributes.taskQueue?.name, 'tq');
    assert.deepEqual(attributes.startToCloseTimeout, { seconds: 60, nanos: 0 });
    assert.deepEqual(defaultPayloadConverter.fromPayload(attributes.input?.payloads?.[0]), 'Ada');
  });

  test('a completed activity in history resolves the call and the workflow completes with its result', async () => {
    const h = new HistoryBuilder().started('greeting', ['Ada']).workflowTask();
    const scheduled = h.activityScheduled('1', 'greet');
    h.activityCompleted(scheduled, 'Hello, Ada!');
    h.workflowTask(true);
    const outcome = await run(h);
    assert.equal(outcome.nondeterminism, undefined);
    assert.equal(outcome.replayed, 1);
    assert.equal(outcome.commands.length, 1);
    const complete = outcome.commands[0]!;
    assert.equal(complete.commandType, CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION);
    assert.equal(
      firstValue(defaultPayloadConverter, complete.completeWorkflowExecutionCommandAttributes?.result),
      'Hello, Ada!',
    );
  });

  test('setTimeout inside a workflow becomes a durable StartTimer command', async () => {
    const outcome = await run(new HistoryBuilder().started('usesSetTimeout').workflowTask(true));
    assert.equal(outcome.commands.length, 1);
    assert.equal(outcome.commands[0]!.commandType, CommandType.COMMAND_TYPE_START_TIMER);
    assert.deepEqual(outcome.commands[0]!.startTimerCommandAttributes, {
      timerId: '1',
      startToFireTimeout: { seconds: 2, nanos: 0 },
    });
  });

  test('a timer cancelled in the same task issues neither StartTimer nor CancelTimer', async () => {
    const sim = simulate('scopeCancelsTimer');
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 'cancelled');
    assert.ok(!sim.history.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED));
  });

  test('a timer cancelled in a later task issues CancelTimer', async () => {
    const sim = simulate('withTimeoutScope');
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 'timed out');
    const types = sim.history.map((e) => e.eventType);
    assert.ok(types.includes(EventType.EVENT_TYPE_TIMER_CANCELED));
  });

  test('continueAsNew ends the run with ContinueAsNewWorkflowExecution carrying the new arguments', async () => {
    const outcome = await run(new HistoryBuilder().started('continues', [1]).workflowTask(true));
    assert.equal(outcome.commands.length, 1);
    const command = outcome.commands[0]!;
    assert.equal(command.commandType, CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION);
    const attributes = command.continueAsNewWorkflowExecutionCommandAttributes!;
    assert.equal(attributes.workflowType?.name, 'continues');
    assert.deepEqual(firstValue(defaultPayloadConverter, attributes.input), 2);
  });

  test('workflowInfo reports the run and upsertSearchAttributes issues its command before completion', async () => {
    const outcome = await run(new HistoryBuilder().started('info').workflowTask(true));
    assert.deepEqual(
      outcome.commands.map((c) => c.commandType),
      [
        CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      ],
    );
    assert.deepEqual(
      firstValue(
        defaultPayloadConverter,
        outcome.commands[1]!.completeWorkflowExecutionCommandAttributes?.result,
      ),
      {
        workflowType: 'info',
        taskQueue: 'tq',
        workflowId: 'wf-1',
      },
    );
  });
});

describe('completion and failure', () => {
  test('a failed Hugo Result fails the workflow with the error code as the failure type', async () => {
    const sim = simulate('returnsResult', [true]);
    assert.equal(await sim.run(), 'failed');
    assert.throws(
      () => sim.result(),
      (e: Error & { type?: string }) => e.type === 'error.validation' && e.message === 'bad order',
    );
    const ok = simulate('returnsResult', [false]);
    assert.equal(await ok.run(), 'completed');
    assert.equal(ok.result(), 'good order');
  });

  test('an ApplicationFailure fails the workflow; another error fails only the task', async () => {
    const outcome = await run(new HistoryBuilder().started('throwsApplicationFailure').workflowTask(true));
    assert.equal(outcome.commands[0]?.commandType, CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION);
    assert.equal(
      outcome.commands[0]?.failWorkflowExecutionCommandAttributes?.failure?.applicationFailureInfo?.type,
      'NopeError',
    );
    const bug = await run(new HistoryBuilder().started('throwsBug').workflowTask(true));
    assert.equal(bug.commands.length, 0);
    assert.ok(bug.taskFailure instanceof TypeError);
  });

  test('an unknown workflow type fails the task with the registered types listed', async () => {
    const outcome = await run(new HistoryBuilder().started('noSuchWorkflow').workflowTask(true));
    assert.match(String((outcome.taskFailure as Error).message), /noSuchWorkflow.*not registered.*greeting/);
  });

  test('a cancel request cancels the sleeping workflow with CancelWorkflowExecution', async () => {
    const sim = simulate('cancellable');
    await sim.run({ fireTimers: false });
    sim.requestCancel();
    assert.equal(await sim.run(), 'canceled');
  });

  test('a saga compensates in reverse when a later activity fails', async () => {
    const sim = simulate('saga', ['ship']);
    assert.equal(await sim.run(), 'completed');
    assert.deepEqual(sim.result(), ['charged ch-100', 'compensated']);
    const refunds = sim.history.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'refund',
    );
    assert.equal(refunds.length, 1);
  });
});

describe('replay and non-determinism', () => {
  test('replaying a complete history matches every command and produces none', async () => {
    const h = new HistoryBuilder().started('timerThenActivity', ['Bo']).workflowTask();
    h.timerStarted('1', 3_600_000);
    h.at(3_600_000).timerFired('1');
    h.workflowTask();
    const scheduled = h.activityScheduled('1', 'greet');
    h.activityCompleted(scheduled, 'Hello, Bo!');
    h.workflowTask();
    h.completed('Hello, Bo!');
    const outcome = await run(h);
    assert.equal(outcome.nondeterminism, undefined);
    assert.equal(outcome.replayed, 3);
    assert.deepEqual(outcome.commands, []);
  });

  test('code that schedules an activity where history has a timer is reported with the event and the command', async () => {
    const h = new HistoryBuilder().started('activityOnly', ['Bo']).workflowTask();
    h.timerStarted('1', 3_600_000);
    h.at(3_600_000).timerFired('1');
    h.workflowTask(true);
    const outcome = await run(h);
    const error = outcome.nondeterminism;
    assert.ok(error, 'expected a non-determinism error');
    assert.equal(error.event?.eventId, 5);
    assert.equal(error.command?.commandType, CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
    assert.match(
      error.message,
      /#5 TIMER_STARTED \(timerId=1\).*SCHEDULE_ACTIVITY_TASK \(activityId=1 activityType=greet\)/,
    );
  });

  test('an activity of another type at the same position is a divergence', async () => {
    const h = new HistoryBuilder().started('greeting', ['Ada']).workflowTask();
    h.activityScheduled('1', 'charge');
    h.workflowTask(true);
    const outcome = await run(h);
    assert.match(
      outcome.nondeterminism?.message ?? '',
      /different ids.*activityType=charge.*activityType=greet/,
    );
  });

  test('history events the code no longer produces are a divergence', async () => {
    const h = new HistoryBuilder().started('throwsApplicationFailure').workflowTask();
    h.add(EventType.EVENT_TYPE_MARKER_RECORDED, {
      markerRecordedEventAttributes: { markerName: 'x', details: {} },
    });
    h.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, { workflowExecutionFailedEventAttributes: {} });
    const outcome = await run(h);
    assert.ok(outcome.nondeterminism);
  });

  test('a failed workflow task attempt delivers nothing; its events reach the next attempt', async () => {
    const h = new HistoryBuilder().started('greeting', ['Ada']);
    const scheduled = h.add(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {});
    h.add(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: { scheduledEventId: scheduled },
    });
    h.add(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {});
    h.workflowTask(true);
    const outcome = await run(h);
    assert.equal(outcome.commands[0]?.commandType, CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK);
  });
});

describe('deterministic globals', () => {
  test('Date.now and new Date are the workflow task time, not the wall clock', async () => {
    const sim = simulate('clockAndRandom');
    assert.equal(await sim.run(), 'completed');
    const value = sim.result<{ now: number; newDate: number }>();
    assert.equal(value.newDate, T0);
    assert.equal(value.now, T0 + 5000);
    assert.ok(Math.abs(Date.now() - T0) > 1000, 'outside a workflow Date.now is the real clock');
  });

  test('Math.random and uuid4 repeat per run id and differ across runs', async () => {
    const values = [];
    for (const runId of ['run-a', 'run-a', 'run-b']) {
      const sim = simulate('clockAndRandom', [], runId);
      await sim.run();
      values.push(sim.result<{ random: number[]; uuid: string }>());
    }
    assert.deepEqual(values[0], values[1]);
    assert.notDeepEqual(values[0]!.random, values[2]!.random);
    assert.match(values[0]!.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(Math.random() !== values[0]!.random[0]);
  });
});

describe('more deterministic globals', () => {
  test('crypto.randomUUID is seeded by the run and setInterval is refused inside a workflow', async () => {
    const results = [];
    for (const runId of ['run-a', 'run-a']) {
      const sim = simulate('globalCrypto', [], runId);
      await sim.run();
      results.push(sim.result<{ uuid: string; interval: string }>());
    }
    assert.equal(results[0]!.uuid, results[1]!.uuid);
    assert.equal(results[0]!.interval, 'IllegalStateError');
    assert.notEqual(crypto.randomUUID(), results[0]!.uuid);
    const handle = setInterval(() => undefined, 1000);
    clearInterval(handle);
  });
});

describe('signals, queries and conditions', () => {
  test('a signal satisfies the condition and a query reads the state', async () => {
    const sim = simulate('approval');
    assert.equal(await sim.run({ fireTimers: false }), 'running');
    assert.equal(await sim.query('status'), 'waiting');
    sim.signal('approve', 'Grace');
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 'approved by Grace');
  });

  test('the condition timeout resolves false when no signal comes', async () => {
    const sim = simulate('approval');
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 'timed out');
    assert.equal(sim.now, T0 + 86_400_000);
  });

  test('an unknown query name is answered with an error naming the registered queries', async () => {
    const sim = simulate('approval');
    await sim.run({ fireTimers: false });
    await assert.rejects(sim.query('nope'), /no query handler for "nope"; registered: status/);
  });
});

describe('markers', () => {
  test('sideEffect runs once, is recorded as a marker, and replays without running again', async () => {
    const before = workflows.sideEffectCallCount();
    const sim = simulate('recordsSideEffect');
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 42);
    assert.equal(workflows.sideEffectCallCount() - before, 1);
    const markers = sim.history.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
    assert.equal(markers.length, 1);
    assert.equal(markers[0]!.markerRecordedEventAttributes?.markerName, 'odin.effect');
  });

  test('getVersion records the newest version for a new run', async () => {
    const sim = simulate('versioned');
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 'v2');
    const marker = sim.history.find((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
    assert.equal(marker?.markerRecordedEventAttributes?.markerName, 'odin.version');
  });

  test('getVersion replaying a history from before the change yields DefaultVersion without a marker', async () => {
    const h = new HistoryBuilder().started('versioned').workflowTask();
    h.timerStarted('1', 1000);
    h.at(1000).timerFired('1');
    h.workflowTask(true);
    const outcome = await run(h);
    assert.equal(outcome.nondeterminism, undefined);
    assert.equal(
      firstValue(
        defaultPayloadConverter,
        outcome.commands[0]?.completeWorkflowExecutionCommandAttributes?.result,
      ),
      'v-1',
    );
  });
});

describe('markers and cancellation in more shapes', () => {
  test('sideEffect among concurrent branches replays with the same command order', async () => {
    const sim = simulate('concurrentEffects');
    assert.equal(await sim.run(), 'completed');
    assert.deepEqual(sim.result(), ['effect', 'b', 'a']);
    const { assertDeterministicReplay } = await import('../src/replay.js');
    await assertDeterministicReplay(sim.history, workflows);
  });

  test("captureEffect records Hugo's Result once and replays it without calling the effect", async () => {
    const sim = simulate('capturesHugoEffect');
    assert.equal(await sim.run(), 'completed');
    const value = sim.result<string>();
    assert.match(value, /^looked up \d+$/);
    const before = workflows.sideEffectCallCount();
    const { replayHistory } = await import('../src/replay.js');
    const replay = await replayHistory(sim.history, workflows);
    assert.equal(replay.divergence, undefined);
    assert.equal(workflows.sideEffectCallCount(), before);
  });

  test('a recorded version below the supported range is a determinism violation', async () => {
    const sim = simulate('versioned');
    await sim.run();
    const h = sim.history.map((e) =>
      e.workflowExecutionStartedEventAttributes
        ? {
            ...e,
            workflowExecutionStartedEventAttributes: {
              ...e.workflowExecutionStartedEventAttributes,
              workflowType: { name: 'versionTooNew' },
            },
          }
        : e,
    );
    const outcome = await runWorkflowTask({
      namespace: 'default',
      workflowId: 'w',
      runId: 'r',
      history: h,
      workflows,
    });
    assert.match(
      outcome.nondeterminism?.message ?? '',
      /recorded version 2|different ids|no longer produces/,
    );
  });

  test('cancelling a scope whose activity was scheduled in an earlier task issues RequestCancelActivityTask', async () => {
    const h = new HistoryBuilder().started('cancelsLaterActivity').workflowTask();
    h.activityScheduled('1', 'greet');
    h.timerStarted('1', 1000);
    h.at(1000).timerFired('1');
    h.workflowTask(true);
    const outcome = await run(h);
    assert.equal(outcome.nondeterminism, undefined);
    assert.deepEqual(
      outcome.commands.map((c) => c.commandType),
      [
        CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      ],
    );
    assert.equal(
      Number(outcome.commands[0]!.requestCancelActivityTaskCommandAttributes?.scheduledEventId),
      5,
    );
    assert.equal(
      firstValue(
        defaultPayloadConverter,
        outcome.commands[1]!.completeWorkflowExecutionCommandAttributes?.result,
      ),
      'cancelled',
    );
  });

  test('a signal that arrives with the start is delivered once the workflow sets its handler', async () => {
    const h = new HistoryBuilder().started('approval');
    h.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: {
        signalName: 'approve',
        input: { payloads: [defaultPayloadConverter.toPayload('Early')] },
      },
    });
    h.workflowTask(true);
    const outcome = await run(h);
    assert.equal(
      firstValue(
        defaultPayloadConverter,
        outcome.commands.at(-1)?.completeWorkflowExecutionCommandAttributes?.result,
      ),
      'approved by Early',
    );
  });
});

describe('child workflows on hand-built histories', () => {
  test('a parent issues StartChildWorkflowExecution and completes with the child result from history', async () => {
    const { parent } = await import('./workflows/e2e.js');
    const registry = { parent };
    const first = await runWorkflowTask({
      namespace: 'default',
      workflowId: 'p',
      runId: 'run-1',
      history: new HistoryBuilder().started('parent', ['Kid']).workflowTask(true).events,
      workflows: registry,
    });
    const start = first.commands[0]?.startChildWorkflowExecutionCommandAttributes;
    assert.equal(start?.workflowType?.name, 'childGreeter');
    assert.equal(start?.workflowId, 'p-child');
    const h = new HistoryBuilder().started('parent', ['Kid']).workflowTask();
    const initiated = h.add(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: {
        workflowId: 'p-child',
        workflowType: { name: 'childGreeter' },
      },
    });
    h.add(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
      childWorkflowExecutionStartedEventAttributes: {
        initiatedEventId: initiated,
        workflowExecution: { workflowId: 'p-child', runId: 'c1' },
      },
    });
    h.workflowTask();
    h.add(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
      childWorkflowExecutionCompletedEventAttributes: {
        initiatedEventId: initiated,
        result: { payloads: [defaultPayloadConverter.toPayload('child says hi')] },
      },
    });
    h.workflowTask(true);
    const done = await runWorkflowTask({
      namespace: 'default',
      workflowId: 'p',
      runId: 'run-1',
      history: h.events,
      workflows: registry,
    });
    assert.equal(done.nondeterminism, undefined);
    assert.equal(
      firstValue(
        defaultPayloadConverter,
        done.commands[0]?.completeWorkflowExecutionCommandAttributes?.result,
      ),
      'child says hi',
    );
  });

  test('a failed child reaches the parent as ChildWorkflowFailure with the cause', async () => {
    const { parent } = await import('./workflows/e2e.js');
    const h = new HistoryBuilder().started('parent', ['Kid']).workflowTask();
    const initiated = h.add(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
      startChildWorkflowExecutionInitiatedEventAttributes: {
        workflowId: 'p-child',
        workflowType: { name: 'childGreeter' },
      },
    });
    h.add(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
      childWorkflowExecutionStartedEventAttributes: {
        initiatedEventId: initiated,
        workflowExecution: { workflowId: 'p-child', runId: 'c1' },
      },
    });
    h.add(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
      childWorkflowExecutionFailedEventAttributes: {
        initiatedEventId: initiated,
        failure: { message: 'child broke', applicationFailureInfo: { type: 'Broken' } },
      },
    });
    h.workflowTask(true);
    const done = await runWorkflowTask({
      namespace: 'default',
      workflowId: 'p',
      runId: 'run-1',
      history: h.events,
      workflows: { parent },
    });
    const failure = done.commands[0]?.failWorkflowExecutionCommandAttributes?.failure;
    assert.ok(failure?.childWorkflowExecutionFailureInfo);
    assert.equal(failure?.cause?.applicationFailureInfo?.type, 'Broken');
  });
});

describe('activity cancellation types', () => {
  test('WAIT_CANCELLATION_COMPLETED keeps waiting after the request and rejects with the ActivityTaskCanceled event', async () => {
    const h = new HistoryBuilder().started('waitsForActivityCancellation').workflowTask();
    const scheduled = h.activityScheduled('1', 'greet');
    h.timerStarted('1', 1000);
    h.at(1000).timerFired('1');
    h.workflowTask(true);
    const requested = await run(h);
    assert.deepEqual(
      requested.commands.map((c) => c.commandType),
      [CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK],
      'no completion while the cancellation is pending',
    );
    h.events.pop();
    h.events.pop();
    h.workflowTask();
    h.add(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
      activityTaskCancelRequestedEventAttributes: { scheduledEventId: scheduled },
    });
    h.add(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
      activityTaskCanceledEventAttributes: { scheduledEventId: scheduled },
    });
    h.workflowTask(true);
    const done = await run(h);
    assert.equal(done.nondeterminism, undefined);
    assert.equal(
      firstValue(
        defaultPayloadConverter,
        done.commands[0]?.completeWorkflowExecutionCommandAttributes?.result,
      ),
      'ActivityFailure: CancelledFailure',
    );
  });
});

describe('external workflows on hand-built histories', () => {
  test('signalling another workflow issues SignalExternalWorkflowExecution and resolves on ExternalWorkflowExecutionSignaled', async () => {
    const { signalsAnother } = await import('./workflows/e2e.js');
    const registry = { signalsAnother };
    const first = await runWorkflowTask({
      namespace: 'default',
      workflowId: 's',
      runId: 'run-1',
      history: new HistoryBuilder().started('signalsAnother', ['target-1']).workflowTask(true).events,
      workflows: registry,
    });
    const attributes = first.commands[0]?.signalExternalWorkflowExecutionCommandAttributes;
    assert.equal(attributes?.execution?.workflowId, 'target-1');
    assert.equal(attributes?.signalName, 'approve');
    const h = new HistoryBuilder().started('signalsAnother', ['target-1']).workflowTask();
    const initiated = h.add(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
      signalExternalWorkflowExecutionInitiatedEventAttributes: {
        workflowExecution: { workflowId: 'target-1' },
        signalName: 'approve',
      },
    });
    h.add(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
      externalWorkflowExecutionSignaledEventAttributes: { initiatedEventId: initiated },
    });
    h.workflowTask(true);
    const done = await runWorkflowTask({
      namespace: 'default',
      workflowId: 's',
      runId: 'run-1',
      history: h.events,
      workflows: registry,
    });
    assert.equal(done.nondeterminism, undefined);
    assert.equal(
      firstValue(
        defaultPayloadConverter,
        done.commands[0]?.completeWorkflowExecutionCommandAttributes?.result,
      ),
      'sent',
    );
  });
});
