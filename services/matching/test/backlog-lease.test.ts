import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { type HistoryApi, ServiceError, TaskQueueType } from '@odin/api';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import { MatchingService } from '../src/matching-service.js';
import { BACKLOG_LEASE_MS } from '../src/partition.js';
import { context, MemoryMatchingStore, NS } from './fakes.js';

const never = new AbortController().signal;

/** What one record…Started call does: resolve to start the task, reject to refuse it. */
type Behaviour = (workflowId: string, call: number) => Promise<void>;

/** A history that counts every record…Started call per workflow and records the starts it accepted. */
function scriptedHistory(behave: Behaviour) {
  const calls = new Map<string, number>();
  const started: string[] = [];
  const record = async (_ns: unknown, req: { workflowId: string; scheduledEventId: number }) => {
    const call = (calls.get(req.workflowId) ?? 0) + 1;
    calls.set(req.workflowId, call);
    await behave(req.workflowId, call);
    started.push(req.workflowId);
    return { taskToken: Buffer.from(`${req.workflowId}:${req.scheduledEventId}`) };
  };
  const history = {
    recordWorkflowTaskStarted: record,
    recordActivityTaskStarted: record,
  } as unknown as HistoryApi;
  return { history, calls, started };
}

/** A history call that hangs until the test answers it. */
function hang() {
  let answer!: (error?: ServiceError) => void;
  const promise = new Promise<void>((resolve, reject) => {
    answer = (error) => (error ? reject(error) : resolve());
  });
  return { promise, answer };
}

function setup(behave: Behaviour) {
  const clock = new VirtualClock();
  const store = new MemoryMatchingStore();
  const ctx = context(store, clock);
  const { history, calls, started } = scriptedHistory(behave);
  const matching = new MatchingService(ctx, { history, syncMatchWaitMs: 0 });
  const poll = (seconds = 70) =>
    matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' } },
      { signal: never, deadline: clock.now() + seconds * 1000 },
    );
  const add = (workflowId: string) =>
    matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId, runId: 'run', scheduledEventId: 2 },
      { signal: never },
    );
  const rows = () => store.rows('q', TaskQueueType.Workflow).length;
  const backlogGauge = async () =>
    (await ctx.metrics.matchingBacklogTasks.get()).values.find((v) => v.labels.task_type === 'workflow')
      ?.value ?? 0;
  return { clock, store, calls, started, matching, poll, add, rows, backlogGauge };
}

function tokenOf(response: object): string {
  const token = (response as { taskToken?: Uint8Array }).taskToken;
  return token ? Buffer.from(token).toString() : '';
}

const ok = async () => {};

describe('backlog tasks are leased while history records them as started', () => {
  test('a task whose start failed with UNAVAILABLE comes back first and goes to the next poll', async () => {
    const { calls, started, poll, add, rows, backlogGauge } = setup(async (id, call) => {
      if (id === 'a' && call === 1) throw ServiceError.unavailable('history is restarting');
    });
    await add('a');
    await add('b');
    assert.equal(await backlogGauge(), 2);
    await assert.rejects(poll(), (e: ServiceError) => e.code === status.UNAVAILABLE);
    assert.equal(await backlogGauge(), 2, 'the failed task is counted in the backlog again');
    assert.equal(tokenOf(await poll()), 'a:2', 'the failed task is retried before younger ones');
    assert.equal(tokenOf(await poll()), 'b:2');
    await flushMicrotasks();
    assert.deepEqual(started, ['a', 'b']);
    assert.equal(calls.get('a'), 2);
    assert.equal(rows(), 0);
    assert.equal(await backlogGauge(), 0);
  });

  test('a task whose start hangs is redelivered once its lease expires, and the late answer does not requeue it', async () => {
    const hung = hang();
    const { clock, calls, started, poll, add, rows, backlogGauge } = setup((id, call) =>
      id === 'a' && call === 1 ? hung.promise : ok(),
    );
    await add('a');
    const first = poll();
    void first.catch(() => {});
    await flushMicrotasks();
    assert.equal(calls.get('a'), 1);

    await clock.advance(30_000);
    let second: object | undefined;
    void poll().then((r) => {
      second = r;
    });
    await clock.advance(BACKLOG_LEASE_MS - 30_000 - 1_000);
    assert.equal(second, undefined, 'the task stays with the first poll while its lease runs');
    assert.equal(calls.get('a'), 1);

    await clock.advance(2_000);
    await flushMicrotasks();
    assert.equal(tokenOf(second ?? {}), 'a:2', 'the waiting poll got the task after the lease expired');
    assert.equal(calls.get('a'), 2);
    await flushMicrotasks();
    assert.equal(rows(), 0);

    // The hung call finally fails: its lease is long gone, so the task must not come back a third time.
    hung.answer(ServiceError.unavailable('timed out'));
    await assert.rejects(first, (e: ServiceError) => e.code === status.UNAVAILABLE);
    let third: object | undefined;
    void poll(20).then((r) => {
      third = r;
    });
    await clock.advance(20_000);
    await flushMicrotasks();
    assert.deepEqual(third, {}, 'nothing is left to deliver');
    assert.equal(calls.get('a'), 2);
    assert.deepEqual(started, ['a'], 'history recorded the task once');
    assert.equal(await backlogGauge(), 0);
  });

  test('a stale task (NOT_FOUND) is deleted and never redelivered', async () => {
    const { clock, calls, started, poll, add, rows } = setup(async (id) => {
      if (id === 'stale') throw ServiceError.notFound('Workflow task already started.');
    });
    await add('stale');
    await add('fresh');
    assert.equal(tokenOf(await poll()), 'fresh:2');
    await flushMicrotasks();
    assert.equal(rows(), 0);
    // Long after a lease would have expired, a poll still finds nothing: the stale task's lease was ended.
    await clock.advance(BACKLOG_LEASE_MS + 10_000);
    let next: object | undefined;
    void poll(20).then((r) => {
      next = r;
    });
    await clock.advance(20_000);
    await flushMicrotasks();
    assert.deepEqual(next, {});
    assert.equal(calls.get('stale'), 1);
    assert.deepEqual(started, ['fresh']);
  });

  test('a task whose lease expired goes back ahead of younger tasks', async () => {
    const hung = hang();
    const { clock, started, poll, add } = setup((id, call) =>
      id === 'a' && call === 1 ? hung.promise : ok(),
    );
    for (const id of ['a', 'b', 'c']) await add(id);
    const first = poll();
    void first.catch(() => {});
    await flushMicrotasks();
    assert.equal(tokenOf(await poll()), 'b:2');
    await clock.advance(BACKLOG_LEASE_MS + 1_000);
    assert.equal(tokenOf(await poll()), 'a:2');
    assert.equal(tokenOf(await poll()), 'c:2');
    assert.deepEqual(started, ['b', 'a', 'c']);
    hung.answer(ServiceError.notFound('Workflow task already started.'));
    assert.deepEqual(await first, {}, 'the first poll ran out of time while history hung');
  });
});
