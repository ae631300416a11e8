import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@odin/api';
import { CLOSED_RUN_CACHE_MS } from '../src/engine.js';
import { advance, cmd, complete, ctx, NS, pollWorkflowTask, setup, start } from './harness.js';
import type { Harness } from './harness.js';

describe('closed runs deleted behind history (retention in another process)', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('describe stops answering from memory once the run has been closed a while and is gone from the store', async () => {
    const runId = await start(h, 'wf-retained');
    const wft = await pollWorkflowTask(h, 'wf-retained');
    await complete(h, wft.taskToken, [cmd.complete('done')]);
    const describe = () =>
      h.history.describeWorkflowExecution(
        NS,
        { namespace: NS.name, execution: { workflowId: 'wf-retained', runId } },
        ctx(),
      );
    assert.equal((await describe()).workflowExecutionInfo?.status, 2);

    // What CleanupWorker does: delete every run closed before now, straight in the store.
    await advance(h, 1_000);
    const deleted = await h.store.retention.deleteClosedExecutions({
      namespaceId: NS.id,
      closedBefore: h.clock.now(),
      batchSize: 10,
    });
    assert.equal(deleted, 1);

    await advance(h, CLOSED_RUN_CACHE_MS);
    await assert.rejects(describe(), (e: ServiceError) => e.code === status.NOT_FOUND);
  });
});
