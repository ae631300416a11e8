import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';
import { spawnWorker } from './processes.js';

async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

compatSuite('scenario 11: a worker killed mid-workflow', (env) => {
  test('a new worker finishes the workflow by replaying its history', async () => {
    const e = env();
    const taskQueue = e.taskQueue('killed-worker');
    const workflowId = `killed-worker-${taskQueue}`;
    const doomed = await spawnWorker(e.server.address, taskQueue);
    const handle = await e.client.workflow.start('twoStep', { taskQueue, workflowId, args: ['kill'] });
    try {
      // The first activity completed and the workflow went back to waiting for its signal.
      await until(async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        const completed = events.findIndex((ev) => ev.activityTaskCompletedEventAttributes);
        return (
          completed >= 0 && events.slice(completed).some((ev) => ev.workflowTaskCompletedEventAttributes)
        );
      }, 'the first step');
    } finally {
      await doomed.kill('SIGKILL');
    }
    await handle.signal('proceed');
    const result = await e.withWorker(taskQueue, () => handle.result());
    assert.equal(result, 'Hello, kill 1! Hello, kill 2!');
    const events = (await handle.fetchHistory()).events ?? [];
    assert.deepEqual(
      events.map((ev) => Number(ev.eventId)),
      Array.from({ length: events.length }, (_, i) => i + 1),
    );
    assert.equal(events.filter((ev) => ev.activityTaskCompletedEventAttributes).length, 2);
  });
});
