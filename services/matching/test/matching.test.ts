import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { encodeTaskToken, ServiceError, TaskQueueType } from '@odin/api';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import { MatchingService } from '../src/matching-service.js';
import { context, fakeHistory, MemoryMatchingStore, NS, notFound, type Started } from './fakes.js';

const never = new AbortController().signal;

function task(workflowId: string, scheduledEventId = 2, expiresAt?: number) {
  return { taskQueue: 'q', workflowId, runId: 'run', scheduledEventId, ...(expiresAt ? { expiresAt } : {}) };
}

function pollCtx(clock: VirtualClock, seconds = 70, signal: AbortSignal = never) {
  return { signal, deadline: clock.now() + seconds * 1000 };
}

function tokenOf(response: object): string {
  const token = (response as { taskToken?: Uint8Array }).taskToken;
  return token ? Buffer.from(token).toString() : '';
}

function setup(refuse?: (s: Started) => ServiceError | undefined) {
  const clock = new VirtualClock();
  const store = new MemoryMatchingStore();
  const started: Started[] = [];
  const matching = new MatchingService(context(store, clock), {
    history: fakeHistory(started, refuse),
    syncMatchWaitMs: 0,
  });
  return { clock, store, started, matching };
}

describe('sync match', () => {
  test('hands an added task to a waiting poll and resolves the add after history recorded the start', async () => {
    const { clock, store, started, matching } = setup();
    const poll = matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    assert.deepEqual(started, [{ kind: 'workflow', workflowId: 'wf-1', scheduledEventId: 2 }]);
    assert.equal(tokenOf(await poll), 'wf-1:2');
    assert.equal(store.writes, 0, 'a sync match writes nothing');
  });

  test('activity and workflow queues of the same name are separate', async () => {
    const { clock, matching } = setup();
    const activityPoll = matching.pollActivityTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    await matching.addActivityTask(NS, task('wf-1', 5), { signal: never });
    assert.equal(tokenOf(await activityPoll), 'wf-1:5');
    assert.equal(
      tokenOf(await matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock))),
      'wf-1:2',
    );
  });

  test('a stale task (NOT_FOUND from history) is dropped and the poll keeps waiting for the next one', async () => {
    const { clock, started, matching } = setup((s) => (s.workflowId === 'stale' ? notFound() : undefined));
    const poll = matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, task('stale'), { signal: never });
    await matching.addWorkflowTask(NS, task('fresh'), { signal: never });
    assert.equal(tokenOf(await poll), 'fresh:2');
    assert.deepEqual(
      started.map((s) => s.workflowId),
      ['fresh'],
    );
  });

  test('when the poll cannot start the task for another reason the add persists it instead', async () => {
    let down = true;
    const { clock, store, matching } = setup(() =>
      down ? ServiceError.unavailable('history down') : undefined,
    );
    const poll = matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    await assert.rejects(poll, (e: ServiceError) => e.code === status.UNAVAILABLE);
    assert.equal(store.rows('q', TaskQueueType.Workflow).length, 1);
    down = false;
    const next = await matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    assert.equal(tokenOf(next), 'wf-1:2');
  });
});

describe('holding an add for a poll', () => {
  function holding() {
    const clock = new VirtualClock();
    const store = new MemoryMatchingStore();
    const started: Started[] = [];
    const matching = new MatchingService(context(store, clock), {
      history: fakeHistory(started),
      syncMatchWaitMs: 200,
    });
    return { clock, store, started, matching };
  }

  test('a poll that comes within the wait takes the task without a backlog write', async () => {
    const { clock, store, matching } = holding();
    let added = false;
    void matching.addWorkflowTask(NS, task('wf-1'), { signal: never }).then(() => {
      added = true;
    });
    await clock.advance(100);
    assert.equal(added, false, 'the add waits for a poll');
    const response = await matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    assert.equal(tokenOf(response), 'wf-1:2');
    await flushMicrotasks();
    assert.equal(added, true);
    assert.equal(store.writes, 0);
  });

  test('with no poll within the wait the task is persisted', async () => {
    const { clock, store, matching } = holding();
    let added = false;
    void matching.addActivityTask(NS, task('wf-1'), { signal: never }).then(() => {
      added = true;
    });
    await clock.advance(200);
    await flushMicrotasks();
    assert.equal(added, true);
    assert.equal(store.rows('q', TaskQueueType.Activity).length, 1);
  });

  test('stopping persists held adds instead of waiting out the hold', async () => {
    const { store, matching } = holding();
    const add = matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    await flushMicrotasks();
    await matching.stop();
    await add;
    assert.equal(store.rows('q', TaskQueueType.Workflow).length, 1);
  });
});

describe('backlog', () => {
  test('a task added with no poll waiting is persisted, delivered to the next poll and then deleted', async () => {
    const { clock, store, matching } = setup();
    await matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    assert.equal(store.rows('q', TaskQueueType.Workflow).length, 1);
    const response = await matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    assert.equal(tokenOf(response), 'wf-1:2');
    await flushMicrotasks();
    assert.equal(store.rows('q', TaskQueueType.Workflow).length, 0);
  });

  test('a restarted matching loads the persisted backlog back in order', async () => {
    const clock = new VirtualClock();
    const store = new MemoryMatchingStore();
    const first = new MatchingService(context(store, clock), {
      history: fakeHistory([]),
      syncMatchWaitMs: 0,
    });
    for (const id of ['a', 'b', 'c']) await first.addActivityTask(NS, task(id), { signal: never });
    await first.stop();

    const started: Started[] = [];
    const second = new MatchingService(context(store, clock), {
      history: fakeHistory(started),
      syncMatchWaitMs: 0,
    });
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      order.push(
        tokenOf(await second.pollActivityTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock))),
      );
    }
    assert.deepEqual(order, ['a:2', 'b:2', 'c:2']);
    assert.ok((store.leases.get('ns-1/q/2')?.rangeId ?? 0) >= 2, 'the restart took a new lease');
  });

  test('an expired task is dropped instead of dispatched', async () => {
    const { clock, started, matching } = setup();
    await matching.addWorkflowTask(NS, task('old', 2, clock.now() + 1000), { signal: never });
    await matching.addWorkflowTask(NS, task('new'), { signal: never });
    await clock.advance(2000);
    const response = await matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    assert.equal(tokenOf(response), 'new:2');
    assert.deepEqual(
      started.map((s) => s.workflowId),
      ['new'],
    );
  });
});

describe('long polls', () => {
  test('an idle poll answers empty a minute in when the client waits 70 s', async () => {
    const { clock, matching } = setup();
    let answered: object | undefined;
    void matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock, 70)).then((r) => {
      answered = r;
    });
    await clock.advance(59_999);
    assert.equal(answered, undefined);
    await clock.advance(1);
    await flushMicrotasks();
    assert.deepEqual(answered, {});
  });

  test('a short client deadline is answered before it passes', async () => {
    const { clock, matching } = setup();
    let answeredAt: number | undefined;
    void matching.pollActivityTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock, 20)).then(() => {
      answeredAt = clock.now();
    });
    const start = clock.now();
    await clock.advance(20_000);
    await flushMicrotasks();
    assert.equal(answeredAt, start + 15_000);
  });

  test('a sticky poll never gets a task of the normal queue of the same workflows', async () => {
    const { clock, matching } = setup();
    let sticky: object | undefined;
    void matching
      .pollWorkflowTaskQueue(
        NS,
        { taskQueue: { name: 'w@host-1', kind: 2, normalName: 'q' } },
        pollCtx(clock),
      )
      .then((r) => {
        sticky = r;
      });
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    await clock.advance(60_000);
    await flushMicrotasks();
    assert.deepEqual(sticky, {});
  });

  test('a cancelled poll answers empty and leaves the queue', async () => {
    const { clock, store, matching } = setup();
    const controller = new AbortController();
    const poll = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' } },
      pollCtx(clock, 70, controller.signal),
    );
    await flushMicrotasks();
    controller.abort();
    assert.deepEqual(await poll, {});
    await matching.addWorkflowTask(NS, task('wf-1'), { signal: never });
    assert.equal(
      store.rows('q', TaskQueueType.Workflow).length,
      1,
      'the task went to the backlog, not to the gone poll',
    );
  });
});

describe('queries', () => {
  const queryResponse = (queryId: string) => ({
    taskToken: encodeTaskToken({ kind: 'query', namespaceId: NS.id, queryId }),
    query: { queryType: 'state' },
  });

  test('a query goes to a workflow poller and resolves with the worker answer', async () => {
    const { clock, matching } = setup();
    const poll = matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    await flushMicrotasks();
    const answer = matching.dispatchQuery(
      NS,
      { taskQueue: 'q', queryId: 'q1', response: queryResponse('q1') },
      { signal: never, deadline: clock.now() + 10_000 },
    );
    const delivered = (await poll) as { query?: { queryType: string }; taskToken: Uint8Array };
    assert.equal(delivered.query?.queryType, 'state');
    await matching.respondQueryTaskCompleted(
      NS,
      { taskToken: delivered.taskToken, completedType: 1, queryResult: { payloads: [] } },
      { signal: never },
    );
    assert.equal((await answer).completedType, 1);
  });

  test('a query waits for a poller that comes later', async () => {
    const { clock, matching } = setup();
    const answer = matching.dispatchQuery(
      NS,
      { taskQueue: 'q', queryId: 'q2', response: queryResponse('q2') },
      { signal: never, deadline: clock.now() + 10_000 },
    );
    await flushMicrotasks();
    const delivered = (await matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' } },
      pollCtx(clock),
    )) as {
      taskToken: Uint8Array;
    };
    await matching.respondQueryTaskCompleted(
      NS,
      { taskToken: delivered.taskToken, completedType: 1 },
      { signal: never },
    );
    assert.equal((await answer).completedType, 1);
  });

  test('with no worker the query fails with DEADLINE_EXCEEDED at the deadline', async () => {
    const { clock, matching } = setup();
    const answer = matching.dispatchQuery(
      NS,
      { taskQueue: 'q', queryId: 'q3', response: queryResponse('q3') },
      { signal: never, deadline: clock.now() + 5_000 },
    );
    const outcome = assert.rejects(answer, (e: ServiceError) => e.code === status.DEADLINE_EXCEEDED);
    await clock.advance(5_000);
    await outcome;
    const later = matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock, 1));
    await clock.advance(1_000);
    assert.deepEqual(await later, {}, 'a timed-out query is not handed to a later poll');
  });

  test('answering a query nobody waits for is NOT_FOUND', async () => {
    const { matching } = setup();
    await assert.rejects(
      matching.respondQueryTaskCompleted(
        NS,
        {
          taskToken: encodeTaskToken({ kind: 'query', namespaceId: NS.id, queryId: 'gone' }),
          completedType: 1,
        },
        { signal: never },
      ),
      (e: ServiceError) => e.code === status.NOT_FOUND,
    );
  });
});

describe('shutdown', () => {
  test('stop answers waiting polls empty and refuses new adds', async () => {
    const { clock, matching } = setup();
    const poll = matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, pollCtx(clock));
    await flushMicrotasks();
    await matching.stop();
    assert.deepEqual(await poll, {});
    await assert.rejects(
      matching.addWorkflowTask(NS, task('x'), { signal: never }),
      (e: ServiceError) => e.code === status.UNAVAILABLE,
    );
  });
});
