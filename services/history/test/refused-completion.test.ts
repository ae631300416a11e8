import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { runKey } from '../src/cache.js';
import type { MutableState } from '../src/state/mutable-state.js';
import {
  cmd,
  complete,
  eventNames,
  history,
  NS,
  payloads,
  pollWorkflowTask,
  setup,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

const CommandType = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

const upsertSearchAttribute: T.api.command.v1.ICommand = {
  commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  upsertWorkflowSearchAttributesCommandAttributes: {
    searchAttributes: { indexedFields: { CustomKeywordField: payloads('changed').payloads![0]! } },
  },
};
const modifyMemo: T.api.command.v1.ICommand = {
  commandType: CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
  modifyWorkflowPropertiesCommandAttributes: {
    upsertedMemo: { fields: { note: payloads('changed').payloads![0]! } },
  },
};

describe('a command with an invalid duration', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('fails the workflow task with the command’s BAD_…_ATTRIBUTES cause naming the field', async () => {
    const cases: [T.api.command.v1.ICommand, number, RegExp][] = [
      [
        {
          commandType: CommandType.COMMAND_TYPE_START_TIMER,
          startTimerCommandAttributes: {
            timerId: 't',
            startToFireTimeout: { seconds: 1, nanos: 1_000_000_000 },
          },
        } as unknown as T.api.command.v1.ICommand,
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
        /StartTimerCommandAttributes\.StartToFireTimeout: nanos must be between 0 and 999999999/,
      ],
      [
        cmd.activity('a1', { retryPolicy: { initialInterval: { seconds: '315576000001' } } }),
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
        /RetryPolicy\.InitialInterval: seconds must be at most/,
      ],
    ];
    for (const [i, [command, cause, message]] of cases.entries()) {
      const workflowId = `wf-bad-duration-${i}`;
      await start(h, workflowId);
      const wft = await pollWorkflowTask(h, workflowId);
      await complete(h, wft.taskToken, [command]);
      const failed = (await history(h, workflowId)).at(-1)?.workflowTaskFailedEventAttributes;
      assert.equal(failed?.cause, cause, workflowId);
      assert.match(failed?.failure?.message ?? '', message);
    }
  });
});

describe('a command naming an id over 1,000 bytes of UTF-8', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('fails the workflow task with the command’s cause, counting bytes as Temporal does', async () => {
    const over = `${'\u{1F680}'.repeat(250)}x`; // 251 characters, 1,001 bytes
    const cases: [T.api.command.v1.ICommand, number, RegExp][] = [
      [
        cmd.startChild(over),
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
        /WorkflowId of the child workflow length exceeds limit: 1001 bytes of UTF-8; the limit is 1000/,
      ],
      [
        {
          commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
          signalExternalWorkflowExecutionCommandAttributes: {
            execution: { workflowId: over },
            signalName: 'go',
          },
        },
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
        /WorkflowId length exceeds limit: 1001 bytes/,
      ],
      [
        {
          commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
          requestCancelExternalWorkflowExecutionCommandAttributes: { workflowId: over },
        },
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
        /WorkflowId length exceeds limit: 1001 bytes/,
      ],
      [
        cmd.activity(over),
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
        /ActivityId length exceeds limit: 1001 bytes/,
      ],
      [
        cmd.timer('a'.repeat(1001), 5),
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
        /TimerId length exceeds limit: 1001 bytes/,
      ],
    ];
    for (const [i, [command, cause, message]] of cases.entries()) {
      const workflowId = `wf-long-id-${i}`;
      await start(h, workflowId);
      const wft = await pollWorkflowTask(h, workflowId);
      await complete(h, wft.taskToken, [command]);
      const failed = (await history(h, workflowId)).at(-1)?.workflowTaskFailedEventAttributes;
      assert.equal(failed?.cause, cause, workflowId);
      assert.match(failed?.failure?.message ?? '', message);
    }
    // At the limit the same commands are accepted.
    await start(h, 'wf-long-id-fits');
    const wft = await pollWorkflowTask(h, 'wf-long-id-fits');
    await complete(h, wft.taskToken, [
      cmd.startChild('\u{1F680}'.repeat(250)),
      cmd.activity('b'.repeat(1000)),
    ]);
    const names = await eventNames(h, 'wf-long-id-fits');
    assert.ok(names.includes('START_CHILD_WORKFLOW_EXECUTION_INITIATED'), names.join(', '));
    assert.ok(names.includes('ACTIVITY_TASK_SCHEDULED'), names.join(', '));
  });
});

describe('a completion with a refused command', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
    await h.store.searchAttributes.addSearchAttributes(
      NS.id,
      [{ name: 'CustomKeywordField', type: 'Keyword' }],
      0,
    );
  });
  after(async () => {
    await h.close();
  });

  test('keeps nothing of the completion: the committed state is untouched and only the task failure is written', async () => {
    const workflowId = 'wf-refused';
    const runId = await start(h, workflowId);
    const wft = await pollWorkflowTask(h, workflowId);
    const shard = h.history.engine.shardFor(NS.id, workflowId);
    const key = runKey(NS.id, workflowId, runId);
    const committed = shard.cache.get(key)!.ms;
    const committedBefore = structuredClone(committed);
    const eventsBefore = await eventNames(h, workflowId);

    // Every command but the last changes state, history, visibility or the outboxes; the last one is refused.
    await complete(h, wft.taskToken, [
      cmd.timer('t1', 60),
      cmd.activity('a1'),
      upsertSearchAttribute,
      modifyMemo,
      cmd.timer('t1', 30),
    ]);

    // The state object that was committed before the completion was never written to.
    assert.deepEqual(committed, committedBefore);
    // What is committed now is the task's failure alone.
    assert.deepEqual(await eventNames(h, workflowId), [...eventsBefore, 'WORKFLOW_TASK_FAILED']);
    const failed = (await history(h, workflowId)).at(-1)?.workflowTaskFailedEventAttributes;
    assert.equal(failed?.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID);
    const stored = await h.store.executions.getExecution({ namespaceId: NS.id, workflowId, runId });
    const storedJson = Buffer.from(stored!.state).toString('utf8');
    const ms = JSON.parse(storedJson) as MutableState;
    assert.deepEqual(ms.timers, {});
    assert.deepEqual(ms.activities, {});
    assert.equal(ms.searchAttributes, committedBefore.searchAttributes);
    assert.equal(ms.memo, committedBefore.memo);
    assert.equal(ms.nextEventId, committedBefore.nextEventId + 1);
    assert.equal(ms.workflowTask?.attempt, 2);
    // The cache holds exactly what the store holds.
    assert.equal(shard.cache.get(key)?.json, storedJson);
    // No outbox task of the refused completion: no activity handed out, no user timer or activity timeout armed.
    assert.equal(h.matching.activityTasks.filter((t) => t.workflowId === workflowId).length, 0);
    const timers = await h.store.outbox.readTimerTasks(shard.ctx.shardId, {
      maxFireTime: h.clock.now() + 86_400_000,
      limit: 100,
    });
    assert.deepEqual(
      timers.filter((t) => t.workflowId === workflowId).map((t) => t.taskType),
      ['workflow-task-timeout'],
    );
    // Visibility never saw the upserted search attribute or memo.
    const described = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId, runId } },
      { signal: new AbortController().signal },
    );
    assert.deepEqual(described.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {}, {});
    assert.deepEqual(described.workflowExecutionInfo?.memo?.fields ?? {}, {});
  });
});
