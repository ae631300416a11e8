import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';

compatSuite('scenario 7: queries', (env) => {
  test('a running and a closed workflow answer queries; an unknown query type errors', async () => {
    const e = env();
    const taskQueue = e.taskQueue('query');
    const workflowId = `query-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('queryable', { taskQueue, workflowId });
      assert.equal(await handle.query('state'), 'waiting');
      await assert.rejects(handle.query('no-such-query'));
      await handle.signal('finish');
      assert.equal(await handle.result(), 'done');
      assert.equal(await handle.query('state'), 'done');
    });
  });

  test('with no worker a query fails at its deadline', async () => {
    const e = env();
    const taskQueue = e.taskQueue('query-no-worker');
    const handle = await e.client.workflow.start('queryable', {
      taskQueue,
      workflowId: `nobody-${taskQueue}`,
    });
    const started = Date.now();
    await assert.rejects(
      e.client.withDeadline(Date.now() + 2_000, () => handle.query('state')),
      (error: unknown) => {
        const code =
          (error as { code?: number; cause?: { code?: number } }).code ??
          (error as { cause?: { code?: number } }).cause?.code;
        assert.ok(code === 4 || code === 1, `expected DEADLINE_EXCEEDED or CANCELLED, got ${String(error)}`);
        return true;
      },
    );
    assert.ok(Date.now() - started >= 1_500, 'the query waited for a worker until its deadline');
    await handle.terminate('test over');
  });
});
