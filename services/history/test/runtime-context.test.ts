import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import { createLogger, createRuntimeContext, loadConfig, SeededRandom } from '@odin/runtime';
import { HistoryService } from '../src/index.js';
import { cmd, complete, FakeMatching, pollWorkflowTask, signal, startWith } from './harness.js';
import type { Harness } from './harness.js';

test('runs on the runtime context the server builds and records its metrics there (a replay is a full history after a completed task, never a first task, eager or polled)', async () => {
  const clock = new VirtualClock();
  const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
  const ctx = createRuntimeContext({
    store,
    clock,
    random: new SeededRandom(7),
    config: loadConfig({}, { shardCount: 4 }),
    logger: createLogger({ level: 'silent', clock }),
  });
  const matching = new FakeMatching();
  const history = new HistoryService(ctx, {
    matching,
    shardCount: ctx.config.shardCount,
    hostId: ctx.hostId,
  });
  await history.start();
  const h: Harness = { clock, store, matching, history, close: async () => {} };
  const res = await startWith(h, 'rt');
  assert.match(res.runId ?? '', /^[0-9a-f-]{36}$/);
  const first = await pollWorkflowTask(h, 'rt');
  assert.equal(first.history?.events?.[0]?.eventId, 1);
  await complete(h, first.taskToken, []);
  // An eager start's first task, answered with the start, is a first task too.
  const eager = await startWith(h, 'rt-eager', { requestEagerExecution: true });
  assert.equal(eager.eagerWorkflowTask?.history?.events?.[0]?.eventId, 1);
  const replays = /workflow_replay_count\{namespace="default",workflow_type="wf"\} (\d+)/;
  assert.doesNotMatch(await ctx.metrics.registry.metrics(), replays, "a run's first task replays nothing");
  // No sticky queue: the next task goes to the normal queue with the whole history, which the worker replays.
  await signal(h, 'rt', 'go');
  const second = await pollWorkflowTask(h, 'rt');
  assert.equal(second.history?.events?.[0]?.eventId, 1);
  await complete(h, second.taskToken, [cmd.complete('ok')]);
  const text = await ctx.metrics.registry.metrics();
  assert.equal(replays.exec(text)?.[1], '1');
  assert.match(text, /workflow_started_total\{namespace="default",workflow_type="wf"\} 2/);
  assert.match(text, /workflow_closed_total\{namespace="default",workflow_type="wf",status="completed"\} 1/);
  assert.match(text, /history_shard_ownership\{shard_id="4",host="[^"]+"\} 1/);
  await history.stop();
  await store.close();
});
