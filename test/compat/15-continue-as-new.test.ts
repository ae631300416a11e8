import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';

compatSuite('model 3: continue-as-new', (env) => {
  test('a chain of 100 runs: the result follows the chain, memo and search attributes carry over', async () => {
    const e = env();
    const taskQueue = e.taskQueue('chain');
    const workflowId = `chain-${taskQueue}`;
    const { result, firstRunId } = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('chain', {
        taskQueue,
        workflowId,
        args: [99, 0],
        memo: { origin: 'first' },
        searchAttributes: { CustomKeywordField: ['chained'] },
      });
      return { result: await handle.result(), firstRunId: handle.firstExecutionRunId };
    });
    assert.equal(result, `${(99 * 100) / 2} {"origin":"first"} {"CustomKeywordField":["chained"]}`);

    // Walk the chain from the first run through the continued-as-new links of describe.
    const runIds = [firstRunId];
    for (let i = 0; i < 100; i++) {
      const history = await e.client.workflow.getHandle(workflowId, runIds.at(-1)).fetchHistory();
      const last = history.events?.at(-1);
      const next = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!next) break;
      runIds.push(next);
    }
    assert.equal(runIds.length, 100);
    assert.equal(new Set(runIds).size, 100);
    const last = await e.client.workflow.getHandle(workflowId).describe();
    assert.equal(last.runId, runIds.at(-1));
    assert.equal(last.status.name, 'COMPLETED');
    assert.deepEqual(last.memo, { origin: 'first' });
    assert.deepEqual(last.searchAttributes.CustomKeywordField, ['chained']);
    const middle = await e.client.workflow.getHandle(workflowId, runIds[50]).describe();
    assert.equal(middle.status.name, 'CONTINUED_AS_NEW');
    const secondStarted = (await e.client.workflow.getHandle(workflowId, runIds[1]).fetchHistory())
      .events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(secondStarted?.continuedExecutionRunId, runIds[0]);
    assert.equal(secondStarted?.firstExecutionRunId, runIds[0]);
  });
});
