// History in the same process takes a waiting workflow-task poll to start a task in the transition that schedules
// it (MatchingService.reserveWorkflowPoll): the poll is answered with what history delivers after its commit, or
// goes back to waiting when history releases it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkflowServiceResponse } from '@odin/api';
import { TaskQueueType } from '@odin/api';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import { MatchingService } from '../src/matching-service.js';
import { context, fakeHistory, MemoryMatchingStore, NS, type Started } from './fakes.js';

type PollResponse = WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>;

const never = new AbortController().signal;
const STICKY = 'worker-1@host-sticky';

function setup() {
  const clock = new VirtualClock();
  const store = new MemoryMatchingStore();
  const started: Started[] = [];
  const ctx = context(store, clock);
  const matching = new MatchingService(ctx, { history: fakeHistory(started), syncMatchWaitMs: 0 });
  return { clock, store, started, matching, ctx };
}

function tokenOf(response: object): string {
  const token = (response as { taskToken?: Uint8Array }).taskToken;
  return token ? Buffer.from(token).toString() : '';
}

const handed = (text: string) => ({ taskToken: Buffer.from(text) }) as PollResponse;

/** A workflow poll of `queue` whose answer is kept in `result.value` once it came. */
function poll(
  matching: MatchingService,
  clock: VirtualClock,
  queue: { name: string; kind?: number },
  options: { signal?: AbortSignal; waitMs?: number; identity?: string } = {},
) {
  const result: { value?: PollResponse } = {};
  const done = matching
    .pollWorkflowTaskQueue(
      NS,
      { taskQueue: queue, identity: options.identity ?? 'worker-1' },
      { signal: options.signal ?? never, deadline: clock.now() + (options.waitMs ?? 70_000) },
    )
    .then((r) => {
      result.value = r;
      return r;
    });
  return { result, done };
}

describe('hand-off of a workflow task to a waiting poll', () => {
  test('the reserved poll gets what history delivers, and nothing else in between', async () => {
    const { clock, store, matching, started, ctx } = setup();
    const waiting = poll(matching, clock, { name: 'q' }, { waitMs: 10_000 });
    await flushMicrotasks();
    const reservation = matching.reserveWorkflowPoll(NS, 'q', false);
    assert.ok(reservation);
    assert.equal(reservation.pollRequest.identity, 'worker-1');
    // The poll neither takes an add nor times out while history commits.
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'other', runId: 'r', scheduledEventId: 2 },
      {
        signal: never,
      },
    );
    assert.equal(store.rows('q', TaskQueueType.Workflow).length, 1);
    await clock.advance(20_000);
    await flushMicrotasks();
    assert.equal(waiting.result.value, undefined);
    assert.equal(reservation.deliver(handed('wf-1:3')), true);
    assert.equal(tokenOf(await waiting.done), 'wf-1:3');
    assert.deepEqual(started, []);
    // Only once: the poll is answered.
    assert.equal(reservation.deliver(handed('again')), false);
    const added = await ctx.metrics.matchingTasksAddedTotal.get();
    assert.deepEqual(
      added.values.filter((v) => v.labels.delivery === 'handoff').map((v) => [v.labels.task_type, v.value]),
      [['workflow', 1]],
    );
    const latency = await ctx.metrics.taskQueueLatencySeconds.get();
    assert.deepEqual(
      latency.values
        .filter((v) => v.metricName === 'task_queue_latency_seconds_count')
        .map((v) => [v.labels.queue_name, v.value]),
      [['q', 1]],
    );
    // The poll counts as a poller of the queue.
    const described = await matching.describeTaskQueue(NS, { taskQueue: { name: 'q' } }, { signal: never });
    assert.deepEqual(
      described.pollers?.map((p) => p.identity),
      ['worker-1'],
    );
  });

  test('a released poll waits again and takes the next task', async () => {
    const { clock, matching, started } = setup();
    const waiting = poll(matching, clock, { name: 'q' });
    await flushMicrotasks();
    const reservation = matching.reserveWorkflowPoll(NS, 'q', false);
    assert.ok(reservation);
    assert.equal(matching.reserveWorkflowPoll(NS, 'q', false), undefined);
    reservation.release();
    await flushMicrotasks();
    assert.equal(waiting.result.value, undefined);
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'wf-2', runId: 'r', scheduledEventId: 2 },
      {
        signal: never,
      },
    );
    assert.equal(tokenOf(await waiting.done), 'wf-2:2');
    assert.deepEqual(
      started.map((s) => s.workflowId),
      ['wf-2'],
    );
    assert.equal(reservation.deliver(handed('late')), false);
  });

  test('a released poll whose time ran out answers empty', async () => {
    const { clock, matching } = setup();
    const waiting = poll(matching, clock, { name: 'q' }, { waitMs: 5_000 });
    await flushMicrotasks();
    const reservation = matching.reserveWorkflowPoll(NS, 'q', false);
    await clock.advance(10_000);
    reservation?.release();
    assert.deepEqual(await waiting.done, {});
  });

  test('no waiting poll, another queue or another kind: nothing is reserved', async () => {
    const { clock, matching } = setup();
    assert.equal(matching.reserveWorkflowPoll(NS, 'q', false), undefined);
    const normal = poll(matching, clock, { name: 'q' }, { waitMs: 5_000 });
    const sticky = poll(matching, clock, { name: STICKY, kind: 2, normalName: 'q' } as { name: string }, {
      waitMs: 5_000,
    });
    await flushMicrotasks();
    assert.equal(matching.reserveWorkflowPoll(NS, 'other', false), undefined);
    assert.equal(matching.reserveWorkflowPoll(NS, 'q', true), undefined);
    assert.equal(matching.reserveWorkflowPoll(NS, STICKY, false), undefined);
    const reservation = matching.reserveWorkflowPoll(NS, STICKY, true);
    assert.ok(reservation);
    assert.equal(reservation.pollRequest.taskQueue?.kind, 2);
    reservation.deliver(handed('wf-s:5'));
    assert.equal(tokenOf(await sticky.done), 'wf-s:5');
    await clock.advance(5_000);
    assert.deepEqual(await normal.done, {});
  });

  test('a poll whose call was cancelled is not delivered to', async () => {
    const { clock, matching } = setup();
    const call = new AbortController();
    const waiting = poll(matching, clock, { name: 'q' }, { signal: call.signal });
    await flushMicrotasks();
    const reservation = matching.reserveWorkflowPoll(NS, 'q', false);
    assert.ok(reservation);
    call.abort();
    assert.equal(reservation.deliver(handed('wf-1:3')), false);
    assert.deepEqual(await waiting.done, {});
  });
});
