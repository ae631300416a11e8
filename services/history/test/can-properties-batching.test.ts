import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import { ShardOwnershipLostError } from '@odin/persistence';
import type { ShardFence, Transition } from '@odin/persistence';
import {
  cmd,
  complete,
  ctx,
  eventNames,
  FakeMatching,
  history,
  NS,
  payloads,
  payloadText,
  pollWorkflowTask,
  setup,
  start,
  TASK_QUEUE,
} from './harness.js';
import type { Harness } from './harness.js';
import { HistoryService, shardIdFor } from '../src/index.js';

const CommandType = temporal.api.enums.v1.CommandType;

describe('continue-as-new, memo and search attributes', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('continue-as-new closes the run and starts the next one of the chain in the same transaction', async () => {
    const firstRunId = await start(h, 'can');
    const wft = await pollWorkflowTask(h, 'can');
    await complete(h, wft.taskToken, [
      {
        commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: TASK_QUEUE },
          input: payloads('round-2'),
        },
      },
    ]);
    const oldEvents = await history(h, 'can', firstRunId);
    const can = oldEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
    assert.ok(can?.newExecutionRunId);
    const next = await pollWorkflowTask(h, 'can');
    assert.equal(next.workflowExecution?.runId, can.newExecutionRunId);
    const started = next.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.continuedExecutionRunId, firstRunId);
    assert.equal(started?.firstExecutionRunId, firstRunId);
    assert.equal(started?.originalExecutionRunId, can.newExecutionRunId);
    assert.equal(payloadText(started?.input), 'round-2');
    // The workflow id now resolves to the new run.
    assert.deepEqual(await eventNames(h, 'can'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
  });

  test('upserted search attributes and memo show in describe', async () => {
    await h.store.searchAttributes.addSearchAttributes(NS.id, [{ name: 'Color', type: 'Keyword' }], 0);
    await start(h, 'props');
    const wft = await pollWorkflowTask(h, 'props');
    const kw = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"blue"') };
    await complete(h, wft.taskToken, [
      {
        commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsertWorkflowSearchAttributesCommandAttributes: {
          searchAttributes: { indexedFields: { Color: kw } },
        },
      },
      {
        commandType: CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
        modifyWorkflowPropertiesCommandAttributes: { upsertedMemo: { fields: { note: kw } } },
      },
      cmd.timer('t', 60),
    ]);
    const d = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'props' } },
      ctx(),
    );
    const info = d.workflowExecutionInfo!;
    const color = info.searchAttributes?.indexedFields?.Color;
    assert.equal(Buffer.from(color?.data ?? []).toString(), '"blue"');
    // Checked against the namespace's registry, the payload carries its type, as Temporal returns it.
    assert.equal(Buffer.from(color?.metadata?.type ?? []).toString(), 'Keyword');
    assert.equal(Buffer.from(info.memo?.fields?.note?.data ?? []).toString(), '"blue"');
    assert.equal(Number(info.historyLength), 7);
    const vis = await h.store.visibility.getVisibility(NS.id, info.execution!.runId!);
    assert.deepEqual(vis?.searchAttributes, { Color: { type: 'Keyword', value: 'blue' } });
  });

  test('visibility follows the run: running at start, completed with its close time after the close', async () => {
    const doneRun = await start(h, 'vis-done');
    const runningRun = await start(h, 'vis-running');
    const wft = await pollWorkflowTask(h, 'vis-done');
    await complete(h, wft.taskToken, [cmd.complete('ok')]);
    const completed = await h.store.visibility.listVisibility(
      NS.id,
      { status: 2, workflowType: 'wf' },
      { pageSize: 100 },
    );
    assert.ok(completed.items.some((r) => r.runId === doneRun && r.closeTime && r.historyLength === 5));
    const running = await h.store.visibility.listVisibility(
      NS.id,
      { status: 1, workflowId: 'vis-running' },
      { pageSize: 10 },
    );
    assert.deepEqual(
      running.items.map((r) => r.runId),
      [runningRun],
    );
  });

  test('describe lists pending activities', async () => {
    await start(h, 'desc');
    const wft = await pollWorkflowTask(h, 'desc');
    await complete(h, wft.taskToken, [cmd.activity('a1')]);
    const d = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'desc' } },
      ctx(),
    );
    assert.equal(d.pendingActivities?.[0]?.activityId, 'a1');
    assert.equal(d.workflowExecutionInfo?.taskQueue, TASK_QUEUE);
  });
});

describe('group commit', () => {
  test('transitions of one shard queued during a commit go together in the next transaction', async () => {
    const clock = new VirtualClock();
    const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
    const batches: number[] = [];
    const original = store.executions.commitShardBatch.bind(store.executions);
    store.executions.commitShardBatch = async (fence, transitions: Transition[]) => {
      batches.push(transitions.length);
      return original(fence, transitions);
    };
    Object.assign(store.executions, { commitShardBatches: undefined }); // the per-shard batcher is under test
    const history = new HistoryService({ clock, store }, { matching: new FakeMatching(), shardCount: 1 });
    await history.start();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        history.startWorkflowExecution(
          NS,
          {
            namespace: NS.name,
            workflowId: `batch-${i}`,
            workflowType: { name: 'wf' },
            taskQueue: { name: TASK_QUEUE },
            requestId: randomUUID(),
          },
          ctx(),
        ),
      ),
    );
    assert.equal(new Set(results.map((r) => r.runId)).size, 20);
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      20,
    );
    assert.ok(batches.length < 20, `expected fewer transactions than transitions, got ${batches.join(',')}`);
    await history.stop();
    await store.close();
  });

  test('with a store that commits several shards at once, one transaction carries transitions of many shards', async () => {
    const clock = new VirtualClock();
    const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
    const calls: { shards: number; transitions: number }[] = [];
    // A stand-in for the proposed multi-shard commit: fences are checked first, then each batch is written.
    const multi = async (batches: { fence: ShardFence; transitions: Transition[] }[]) => {
      calls.push({
        shards: batches.length,
        transitions: batches.reduce((n, b) => n + b.transitions.length, 0),
      });
      for (const b of batches) {
        const shard = await store.shards.getShard(b.fence.shardId);
        if (shard?.rangeId !== b.fence.rangeId) {
          throw new ShardOwnershipLostError(b.fence.shardId, b.fence.rangeId, shard?.rangeId ?? null);
        }
      }
      const results = [];
      for (const b of batches) results.push(await store.executions.commitShardBatch(b.fence, b.transitions));
      return results;
    };
    Object.assign(store.executions, { commitShardBatches: multi });
    const history = new HistoryService({ clock, store }, { matching: new FakeMatching(), shardCount: 16 });
    await history.start();
    assert.equal(history.shards.hostWideGroupCommit, true);
    const ids = Array.from({ length: 40 }, (_, i) => `multi-${i}`);
    const results = await Promise.all(
      ids.map((workflowId) =>
        history.startWorkflowExecution(
          NS,
          {
            namespace: NS.name,
            workflowId,
            workflowType: { name: 'wf' },
            taskQueue: { name: TASK_QUEUE },
            requestId: randomUUID(),
          },
          ctx(),
        ),
      ),
    );
    assert.equal(new Set(results.map((r) => r.runId)).size, 40);
    assert.ok(calls.length < 40, `expected shared transactions, got ${calls.length}`);
    assert.ok(calls.some((c) => c.shards > 1));
    for (const [i, workflowId] of ids.entries()) {
      const current = await store.executions.getCurrentExecution(NS.id, workflowId);
      assert.equal(current?.runId, results[i]!.runId);
    }

    // Another host takes one shard: only that shard's transitions fail; the others still commit.
    const victim = shardIdFor(NS.id, 'multi-0', 16);
    await store.shards.acquireShard(victim, 'thief', 60_000, clock.now());
    const signals = await Promise.allSettled(
      ids.map((workflowId) =>
        history.signalWorkflowExecution(
          NS,
          { namespace: NS.name, workflowExecution: { workflowId }, signalName: 's' },
          ctx(),
        ),
      ),
    );
    ids.forEach((workflowId, i) => {
      const expectFailure = shardIdFor(NS.id, workflowId, 16) === victim;
      assert.equal(signals[i]!.status, expectFailure ? 'rejected' : 'fulfilled', workflowId);
    });
    await history.stop();
    await store.close();
  });
});
