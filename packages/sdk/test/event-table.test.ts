import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { protoRoot, temporal } from '@odin/api/public';
import { defaultPayloadConverter } from '../src/common/payload.js';
import { WorkflowActivator } from '../src/workflow/activator.js';
import { UnhandledEventError } from '../src/workflow/errors.js';
import { attributesKeyOf, type EventTable } from '../src/workflow/event-table.js';
import { runWorkflowTask } from '../src/workflow/task-runner.js';
import { EventType, HistoryBuilder } from './history-helpers.js';
import * as workflows from './workflows/basic.js';

function run(history: HistoryBuilder) {
  return runWorkflowTask({
    namespace: 'default',
    workflowId: 'wf-1',
    runId: 'run-1',
    history: history.events,
    workflows,
  });
}

function table(): EventTable {
  const history = new HistoryBuilder().started('approval').events;
  return new WorkflowActivator(
    workflows,
    defaultPayloadConverter,
    { namespace: 'default', workflowId: 'w', runId: 'r', workflowType: '' },
    history,
  ).events;
}

describe('the event table', () => {
  test('every event type of the pinned API definitions has an entry, under its HistoryEvent attributes field', () => {
    const oneof = protoRoot.lookupType('temporal.api.history.v1.HistoryEvent').oneofs['attributes']!.oneof;
    const entries = table();
    const types = Object.entries(temporal.api.enums.v1.EventType).filter(
      ([name, value]) => typeof value === 'number' && name !== 'EVENT_TYPE_UNSPECIFIED',
    );
    assert.equal(types.length, oneof.length);
    for (const [name, value] of types) {
      const key = attributesKeyOf(value as number);
      assert.ok(
        key !== undefined && oneof.includes(key),
        `${name} → ${key} is a HistoryEvent attributes field`,
      );
      assert.ok(Object.hasOwn(entries, key), `${name} has an entry`);
    }
    assert.deepEqual(Object.keys(entries).sort(), [...oneof].sort());
  });

  test('a table without an entry for some event type does not compile', () => {
    const { timerFiredEventAttributes: _, ...rest } = table();
    // @ts-expect-error timerFiredEventAttributes is missing: an EventTable names every event type.
    const incomplete: EventTable = rest;
    assert.equal(Object.hasOwn(incomplete, 'timerFiredEventAttributes'), false);
  });

  test('an event of a feature the SDK lacks (Nexus) fails the workflow task, naming the event type', async () => {
    const h = new HistoryBuilder().started('approval').workflowTask();
    h.timerStarted('1', 86_400_000);
    h.add(EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED, {
      nexusOperationStartedEventAttributes: { scheduledEventId: 5, operationId: 'op' },
    });
    h.workflowTask(true);
    const outcome = await run(h);
    assert.ok(outcome.taskFailure instanceof UnhandledEventError, String(outcome.taskFailure));
    assert.match(outcome.taskFailure.message, /#6 NEXUS_OPERATION_STARTED/);
    assert.match(
      outcome.taskFailure.message,
      /: no handler in this SDK \(Nexus operations are not supported\)$/,
    );
    assert.equal(outcome.taskFailure.event.eventType, EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED);
    assert.deepEqual(outcome.commands, []);
  });

  test('an event type the API definitions do not know fails the workflow task instead of being skipped', async () => {
    const h = new HistoryBuilder().started('approval').workflowTask();
    h.timerStarted('1', 86_400_000);
    h.add(999);
    h.workflowTask(true);
    const outcome = await run(h);
    assert.ok(outcome.taskFailure instanceof UnhandledEventError, String(outcome.taskFailure));
    assert.match(outcome.taskFailure.message, /#6 999: unknown event type 999: no handler in this SDK/);
  });

  test('events that need no action on purpose (an activity started, a run paused) leave the run as it was', async () => {
    const h = new HistoryBuilder().started('greeting', ['Ada']).workflowTask();
    const scheduled = h.activityScheduled('1', 'greet');
    h.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED, { workflowExecutionPausedEventAttributes: {} });
    h.activityCompleted(scheduled, 'Hello, Ada!');
    h.workflowTask(true);
    const outcome = await run(h);
    assert.equal(outcome.taskFailure, undefined);
    assert.equal(
      outcome.commands[0]?.commandType,
      temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    );
  });
});
