import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { type HistoryApi, ServiceError, TaskQueueType } from '@odin/api';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import { MatchingService } from '../src/matching-service.js';
import { context, fakeHistory, MemoryMatchingStore, NS, type Started } from './fakes.js';

const never = new AbortController().signal;

function setup() {
  const clock = new VirtualClock();
  const started: Started[] = [];
  const matching = new MatchingService(context(new MemoryMatchingStore(), clock), {
    history: fakeHistory(started),
    syncMatchWaitMs: 0,
  });
  return { clock, started, matching };
}

describe('releasing task queues that moved to another matching host', () => {
  test('waiting polls of a released queue answer empty at once; other queues keep theirs', async () => {
    const { clock, matching } = setup();
    const outcomes: Record<string, object | undefined> = {};
    for (const name of ['moved', 'kept']) {
      void matching
        .pollWorkflowTaskQueue(NS, { taskQueue: { name } }, { signal: never, deadline: clock.now() + 60_000 })
        .then((r) => {
          outcomes[name] = r;
        });
    }
    await flushMicrotasks();
    const released = matching.releasePartitions((_ns, name) => name !== 'moved');
    assert.equal(released, 1);
    await flushMicrotasks();
    assert.deepEqual(outcomes.moved, {});
    assert.equal(outcomes.kept, undefined, 'the poll of a queue still owned keeps waiting');
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'kept', workflowId: 'wf-1', runId: 'r', scheduledEventId: 2 },
      {
        signal: never,
      },
    );
    await flushMicrotasks();
    assert.ok(
      (outcomes.kept as { taskToken?: Uint8Array } | undefined)?.taskToken,
      'the kept queue still delivers',
    );
  });

  test('a released queue is loaded afresh on its next call, from the persisted backlog', async () => {
    const { clock, matching } = setup();
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'wf-2', runId: 'r', scheduledEventId: 2 },
      {
        signal: never,
      },
    );
    assert.equal(
      matching.releasePartitions(() => false),
      1,
    );
    const response = await matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' } },
      { signal: never, deadline: clock.now() + 1_000 },
    );
    assert.equal(Buffer.from((response as { taskToken: Uint8Array }).taskToken).toString(), 'wf-2:2');
  });

  test('a backlog task whose start is still out when its queue is released keeps its row for the next owner', async () => {
    const clock = new VirtualClock();
    const store = new MemoryMatchingStore();
    let calls = 0;
    let answerFirst!: (error: ServiceError) => void;
    const hung = new Promise<void>((_resolve, reject) => {
      answerFirst = reject;
    });
    const record = async (_ns: unknown, req: { workflowId: string; scheduledEventId: number }) => {
      calls++;
      if (calls === 1) await hung;
      return { taskToken: Buffer.from(`${req.workflowId}:${req.scheduledEventId}`) };
    };
    const matching = new MatchingService(context(store, clock), {
      history: { recordWorkflowTaskStarted: record } as unknown as HistoryApi,
      syncMatchWaitMs: 0,
    });
    const poll = () =>
      matching.pollWorkflowTaskQueue(
        NS,
        { taskQueue: { name: 'q' } },
        { signal: never, deadline: clock.now() + 70_000 },
      );
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'wf-3', runId: 'r', scheduledEventId: 2 },
      { signal: never },
    );
    const first = poll();
    await flushMicrotasks();
    assert.equal(
      matching.releasePartitions(() => false),
      1,
    );
    answerFirst(ServiceError.unavailable('history is restarting'));
    await assert.rejects(first, (e: ServiceError) => e.code === status.UNAVAILABLE);
    await flushMicrotasks();
    assert.equal(store.rows('q', TaskQueueType.Workflow).length, 1, 'the row stays in the database');
    const response = await poll();
    assert.equal(Buffer.from((response as { taskToken: Uint8Array }).taskToken).toString(), 'wf-3:2');
    assert.equal(calls, 2);
  });
});
