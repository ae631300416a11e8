import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { temporal } from '@odin/api';
import { cmd, complete, ctx, NS, pollWorkflowTask, setup, startHistory, startRequest } from './harness.js';

const Reuse = temporal.api.enums.v1.WorkflowIdReusePolicy;

const startReq = startRequest;

test('a new workflow id starts without reading its current row; a host that knows nothing of an existing id still applies its policies', async () => {
  const h = await setup();
  after(() => h.close());
  let currentReads = 0;
  const read = h.store.executions.getCurrentExecution.bind(h.store.executions);
  h.store.executions.getCurrentExecution = (namespaceId, workflowId) => {
    currentReads++;
    return read(namespaceId, workflowId);
  };

  const running = await h.history.startWorkflowExecution(NS, startReq('cr-running'), ctx());
  const retried = startReq('cr-retried');
  const retriedRun = await h.history.startWorkflowExecution(NS, retried, ctx());
  const closed = await h.history.startWorkflowExecution(NS, startReq('cr-closed'), ctx());
  const task = await pollWorkflowTask(h, 'cr-closed');
  await complete(h, task.taskToken, [cmd.complete('done')]);
  assert.equal(currentReads, 0, 'brand-new ids are started without a current-row read');

  // The same database under a host with an empty cache: every id it is asked to start looks new to it.
  await h.history.stop();
  h.history = (await startHistory(h.store, h.clock, h.matching, 'host-b')).history;
  await assert.rejects(
    h.history.startWorkflowExecution(NS, startReq('cr-running'), ctx()),
    (e: { code?: number; detail?: { value: { runId?: string } } }) =>
      e.code === 6 && e.detail?.value.runId === running.runId,
  );
  const again = await h.history.startWorkflowExecution(NS, retried, ctx());
  assert.equal(again.runId, retriedRun.runId, 'a retried start finds its run');
  await assert.rejects(
    h.history.startWorkflowExecution(
      NS,
      startReq('cr-closed', { workflowIdReusePolicy: Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE }),
      ctx(),
    ),
    (e: { code?: number }) => e.code === 6,
  );
  const reused = await h.history.startWorkflowExecution(NS, startReq('cr-closed'), ctx());
  assert.notEqual(reused.runId, closed.runId);
  const current = await h.store.executions.getCurrentExecution(NS.id, 'cr-closed');
  assert.equal(current?.runId, reused.runId);
});
