import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ServiceError, temporal } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { silentLogger } from '@odin/runtime';
import type { temporal as T } from '@temporalio/proto';
import { jobRate } from '../src/batch/pace.js';
import { type BatchCalls, BatchRunner, type BatchTarget } from '../src/batch/runner.js';

const State = temporal.api.enums.v1.BatchOperationState;
const Type = temporal.api.enums.v1.BatchOperationType;
const StartRequest = temporal.api.workflowservice.v1.StartBatchOperationRequest;
const NS = { id: 'batch-ns-id', name: 'batch-ns' };
const UNAVAILABLE = 14;

/** Calls in memory: a query matches the runs listed for it; an apply fails for the runs marked to fail. */
class FakeCalls implements BatchCalls {
  readonly applied: string[] = [];
  readonly failFor = new Set<string>();
  /** Apply calls after which the next one throws UNAVAILABLE once (a database outage mid-job). */
  outageAfter: number | undefined;
  constructor(private readonly matches: BatchTarget[]) {}

  async list(_namespace: string, query: string, pageToken: Uint8Array | undefined) {
    if (query === 'bad') throw ServiceError.invalidArgument('invalid query');
    // Pages of two, to go through the tokens.
    const from = pageToken ? Number(new TextDecoder().decode(pageToken)) : 0;
    const executions = this.matches.slice(from, from + 2);
    return from + 2 < this.matches.length
      ? { executions, nextPageToken: new TextEncoder().encode(String(from + 2)) }
      : { executions };
  }

  async apply(_namespace: string, _request: unknown, target: BatchTarget) {
    if (this.outageAfter !== undefined && this.applied.length === this.outageAfter) {
      this.outageAfter = undefined;
      throw new ServiceError(UNAVAILABLE, 'database unavailable');
    }
    if (this.failFor.has(target.workflowId)) throw ServiceError.notFound('gone');
    this.applied.push(target.workflowId);
  }
}

let store: PersistenceStore;
const clock = new VirtualClock(Date.UTC(2026, 0, 1));
let seq = 0;

before(async () => {
  store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
  await store.namespaces.createNamespace({
    ...NS,
    state: 1,
    description: '',
    ownerEmail: '',
    retentionMs: 0,
    createdAt: 0,
    updatedAt: 0,
  });
});

after(async () => {
  await store.close();
});

const targets = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ workflowId: `wf-${i}`, runId: `run-${i}` }));

async function createJob(request: T.api.workflowservice.v1.IStartBatchOperationRequest): Promise<string> {
  const jobId = `job-${++seq}`;
  await store.batchOperations.createBatchOperation({
    namespaceId: NS.id,
    jobId,
    operationType: Type.BATCH_OPERATION_TYPE_TERMINATE,
    request: StartRequest.encode({ ...request, jobId, namespace: NS.name }).finish(),
    state: State.BATCH_OPERATION_STATE_RUNNING,
    identity: 'tester',
    reason: 'test',
    startTime: clock.now(),
    closeTime: null,
    totalCount: 0,
    completeCount: 0,
    failureCount: 0,
    progress: null,
  });
  return jobId;
}

const runner = (calls: BatchCalls, chunkSize = 2) =>
  new BatchRunner({ store, clock, logger: silentLogger(), calls, chunkSize });

const job = async (jobId: string) => {
  const record = await store.batchOperations.getBatchOperation(NS.id, jobId);
  assert.ok(record);
  return record;
};

describe('batch runner', () => {
  test('a query-selected job operates on every match, counts failures apart, and completes', async () => {
    const calls = new FakeCalls(targets(5));
    calls.failFor.add('wf-3');
    const jobId = await createJob({ visibilityQuery: 'WorkflowType = "x"', terminationOperation: {} });
    await runner(calls).runDue();
    const record = await job(jobId);
    assert.equal(record.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.equal(record.closeTime, clock.now());
    assert.deepEqual([record.totalCount, record.completeCount, record.failureCount], [5, 4, 1]);
    assert.deepEqual(calls.applied, ['wf-0', 'wf-1', 'wf-2', 'wf-4']);
  });

  test('an explicit list is taken as given', async () => {
    const calls = new FakeCalls([]);
    const jobId = await createJob({ executions: targets(3), signalOperation: { signal: 's' } });
    await runner(calls).runDue();
    const record = await job(jobId);
    assert.equal(record.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.deepEqual([record.totalCount, record.completeCount, record.failureCount], [3, 3, 0]);
  });

  test('a query that is not valid fails the job', async () => {
    const jobId = await createJob({ visibilityQuery: 'bad', terminationOperation: {} });
    await runner(new FakeCalls([])).runDue();
    const record = await job(jobId);
    assert.equal(record.state, State.BATCH_OPERATION_STATE_FAILED);
    assert.equal(record.closeTime, clock.now());
  });

  test('after an outage the next scan resumes from the last chunk written, not from the start', async () => {
    const calls = new FakeCalls(targets(5));
    calls.outageAfter = 3; // the second chunk (wf-2, wf-3) is cut short after wf-2
    const jobId = await createJob({ visibilityQuery: 'x', terminationOperation: {} });
    await runner(calls).runDue();
    let record = await job(jobId);
    assert.equal(record.state, State.BATCH_OPERATION_STATE_RUNNING);
    assert.deepEqual([record.totalCount, record.completeCount], [5, 2]);
    // A new runner (a restart) goes on from wf-2.
    await runner(calls).runDue();
    record = await job(jobId);
    assert.equal(record.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.deepEqual([record.totalCount, record.completeCount, record.failureCount], [5, 5, 0]);
    assert.deepEqual(calls.applied, ['wf-0', 'wf-1', 'wf-2', 'wf-2', 'wf-3', 'wf-4']);
  });

  test('a stopped job is left alone', async () => {
    const calls = new FakeCalls(targets(4));
    const jobId = await createJob({ visibilityQuery: 'x', terminationOperation: {} });
    const { request: _r, version, ...rest } = await job(jobId);
    await store.batchOperations.updateBatchOperation(
      { ...rest, state: State.BATCH_OPERATION_STATE_FAILED, closeTime: clock.now() },
      version,
    );
    await runner(calls).runDue();
    assert.equal((await job(jobId)).state, State.BATCH_OPERATION_STATE_FAILED);
    assert.deepEqual(calls.applied, []);
  });

  test('a job runs at its max_operations_per_second: a burst of that many, then one each 1/rate', async () => {
    const calls = new FakeCalls([]);
    const jobId = await createJob({
      executions: targets(6),
      maxOperationsPerSecond: 2,
      terminationOperation: {},
    });
    const paced = new BatchRunner({
      store,
      clock,
      logger: silentLogger(),
      calls,
      chunkSize: 10,
      maxOperationsPerSecond: 50,
    });
    let finished = false;
    const done = paced.runDue().then(() => {
      finished = true;
    });
    // Until the runner sleeps for its next operation (or ends).
    const settled = async () => {
      while (!finished && clock.pendingTimers === 0) await new Promise((r) => setImmediate(r));
    };
    await settled();
    const seen = [calls.applied.length];
    for (let i = 0; i < 4; i++) {
      await clock.advance(500);
      await settled();
      seen.push(calls.applied.length);
    }
    await done;
    assert.deepEqual(seen, [2, 3, 4, 5, 6]);
    assert.equal((await job(jobId)).state, State.BATCH_OPERATION_STATE_COMPLETED);
  });

  test('a job’s rate is its own when set and not above the server’s, else the server’s', () => {
    assert.equal(jobRate(2, 50), 2);
    assert.equal(jobRate(0, 50), 50);
    assert.equal(jobRate(undefined, 50), 50);
    assert.equal(jobRate(100, 50), 50);
  });
});
