// The batch_operations table on every dialect: insert once per job id, compare-and-set, pages, the state scan.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BatchOperationAlreadyExistsError,
  type BatchOperationRecord,
  BatchOperationVersionConflictError,
} from '../../src/contract.js';
import type { SuiteContext } from './suite.js';

const NS_ID = 'ns-batch';
const RUNNING = 1;
const COMPLETED = 2;
const bytes = (text: string) => new TextEncoder().encode(text);

function record(jobId: string, startTime: number): Omit<BatchOperationRecord, 'version'> {
  return {
    namespaceId: NS_ID,
    jobId,
    operationType: 1,
    request: bytes(`req-${jobId}`),
    state: RUNNING,
    identity: 'me',
    reason: 'why ✓',
    startTime,
    closeTime: null,
    totalCount: 0,
    completeCount: 0,
    failureCount: 0,
    progress: null,
  };
}

export function defineBatchOperationCases(ctx: SuiteContext): void {
  describe('batch operations', () => {
    test('a job is created at version 1 once; its id is taken afterwards', async () => {
      const store = ctx.store.batchOperations;
      assert.equal((await store.createBatchOperation(record('b-a', 1_000))).version, 1);
      await assert.rejects(
        store.createBatchOperation(record('b-a', 2_000)),
        BatchOperationAlreadyExistsError,
      );
      const read = await store.getBatchOperation(NS_ID, 'b-a');
      assert.equal(read && new TextDecoder().decode(read.request), 'req-b-a');
      assert.equal(read?.reason, 'why ✓');
      assert.equal(read?.startTime, 1_000);
      assert.equal(read?.closeTime, null);
      assert.equal(await store.getBatchOperation(NS_ID, 'b-absent'), null);
    });

    test('an update is a compare-and-set on the version and keeps the request', async () => {
      const store = ctx.store.batchOperations;
      await store.createBatchOperation(record('b-b', 1_500));
      const { request: _r, ...base } = record('b-b', 1_500);
      const updated = await store.updateBatchOperation(
        { ...base, totalCount: 3, completeCount: 2, failureCount: 1, progress: bytes('{"next":3}') },
        1,
      );
      assert.equal(updated.version, 2);
      assert.equal(updated.totalCount, 3);
      assert.equal(new TextDecoder().decode(updated.request), 'req-b-b');
      assert.equal(new TextDecoder().decode(updated.progress ?? new Uint8Array()), '{"next":3}');
      await assert.rejects(store.updateBatchOperation(base, 1), BatchOperationVersionConflictError);
      await assert.rejects(
        store.updateBatchOperation({ ...base, jobId: 'b-absent' }, 1),
        BatchOperationVersionConflictError,
      );
      const closed = await store.updateBatchOperation({ ...base, state: COMPLETED, closeTime: 9_000 }, 2);
      assert.equal(closed.state, COMPLETED);
      assert.equal(closed.closeTime, 9_000);
    });

    test('pages by job id; the state scan sees running jobs only, oldest first', async () => {
      const store = ctx.store.batchOperations;
      await store.createBatchOperation(record('b-c', 500));
      const first = await store.listBatchOperations(NS_ID, { pageSize: 2 });
      assert.deepEqual(
        first.items.map((r) => r.jobId),
        ['b-a', 'b-b'],
      );
      assert.ok(first.nextPageToken);
      const second = await store.listBatchOperations(NS_ID, { pageSize: 2, pageToken: first.nextPageToken });
      assert.deepEqual(
        second.items.map((r) => r.jobId),
        ['b-c'],
      );
      assert.equal(second.nextPageToken, undefined);
      const running = (await store.listBatchOperationsInState(RUNNING, 100))
        .filter((r) => r.namespaceId === NS_ID)
        .map((r) => r.jobId);
      assert.deepEqual(running, ['b-c', 'b-a']);
      assert.equal(await store.countBatchOperationsInState(NS_ID, RUNNING), 2);
      assert.equal(await store.countBatchOperationsInState('no-such-namespace', RUNNING), 0);
    });
  });
}
