import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';

compatSuite('model 6: memo and search-attribute upserts', (env) => {
  test('upserted memo and search attributes are returned by describe, the memo also by list', async () => {
    const e = env();
    const taskQueue = e.taskQueue('upserts');
    const workflowId = `upserts-${taskQueue}`;
    const { described, listed } = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('upserter', {
        taskQueue,
        workflowId,
        memo: { stage: 'start', kept: true },
        searchAttributes: { CustomKeywordField: ['before'], CustomTextField: ['untouched'] },
      });
      const end = Date.now() + 15_000;
      let d = await handle.describe();
      while (d.memo?.stage !== 'upserted' && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        d = await handle.describe();
      }
      await handle.signal('release');
      await handle.result();
      const found = [];
      for await (const w of e.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) found.push(w);
      return { described: d, listed: found };
    });
    const wantMemo = { stage: 'upserted', kept: true, owner: 'model' };
    const wantAttrs = { CustomKeywordField: ['after'], CustomTextField: ['untouched'], CustomIntField: [7] };
    assert.deepEqual(described.memo, wantMemo);
    assert.deepEqual(described.searchAttributes, wantAttrs);
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0]!.memo, wantMemo);
  });
});
