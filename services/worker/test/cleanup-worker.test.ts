import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { silentLogger } from '@odin/runtime';
import { CleanupWorker } from '../src/cleanup-worker.js';
import { createNamespace, seedRun } from './seed.js';

const DAY = 24 * 60 * 60 * 1000;
let dir: string;
let store: PersistenceStore;
const clock = new VirtualClock(Date.UTC(2026, 0, 1));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-cleanup-'));
  store = await openStore({ url: `sqlite:${join(dir, 'db.sqlite')}`, migrate: true, clock });
});

after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function worker(options: { batchSize?: number; sweepIntervalMs?: number } = {}): CleanupWorker {
  return new CleanupWorker({ store, clock, logger: silentLogger(), defaultRetentionDays: 30, ...options });
}

async function exists(namespaceId: string, workflowId: string, runId: string) {
  const k = { namespaceId, workflowId, runId };
  return {
    state: (await store.executions.getExecution(k)) !== null,
    visibility: (await store.visibility.getVisibility(namespaceId, runId)) !== null,
    history: await store.history.readHistory(k, { pageSize: 10 }).then(
      (page) => page.events.length > 0,
      () => false,
    ),
  };
}

test('closed runs past their namespace retention lose history, state and visibility; open and recent runs stay', async () => {
  const t0 = clock.now();
  const ns = await createNamespace(store, 'short', 1 * DAY, t0);
  const lease = await store.shards.acquireShard(1, 'host-test', 3_600_000, t0);
  for (let i = 0; i < 5; i++)
    await seedRun(
      store,
      lease,
      { namespaceId: ns, workflowId: `old-${i}`, runId: `old-run-${i}` },
      t0,
      t0 + i,
    );
  await seedRun(
    store,
    lease,
    { namespaceId: ns, workflowId: 'recent', runId: 'recent-run' },
    t0,
    t0 + 2 * DAY,
  );
  await seedRun(store, lease, { namespaceId: ns, workflowId: 'open', runId: 'open-run' }, t0, null);
  await clock.advanceTo(t0 + 2 * DAY);

  const result = await worker({ batchSize: 2 }).sweepOnce();

  assert.equal(result.deleted, 5);
  assert.equal(result.deletedByNamespace.get('short'), 5);
  for (let i = 0; i < 5; i++)
    assert.deepEqual(await exists(ns, `old-${i}`, `old-run-${i}`), {
      state: false,
      visibility: false,
      history: false,
    });
  assert.deepEqual(await exists(ns, 'recent', 'recent-run'), {
    state: true,
    visibility: true,
    history: true,
  });
  assert.deepEqual(await exists(ns, 'open', 'open-run'), { state: true, visibility: true, history: true });
});

test('each store call is asked for at most batchSize runs per transaction', async () => {
  const calls: { batchSize: number; closedBefore: number }[] = [];
  const recording = new CleanupWorker({
    store: {
      namespaces: store.namespaces,
      retention: {
        deleteClosedExecutions: async (input) => {
          calls.push({ batchSize: input.batchSize, closedBefore: input.closedBefore });
          return 0;
        },
      },
    },
    clock,
    logger: silentLogger(),
    defaultRetentionDays: 30,
    batchSize: 3,
  });
  await recording.sweepOnce();
  assert.ok(calls.length >= 1);
  for (const call of calls) assert.equal(call.batchSize, 3);
});

test('a namespace without its own retention uses the default number of days', async () => {
  const t0 = clock.now();
  const ns = await createNamespace(store, 'defaulted', 0, t0);
  const lease = await store.shards.acquireShard(2, 'host-test', 3_600_000, t0);
  await seedRun(store, lease, { namespaceId: ns, workflowId: 'a', runId: 'a-run' }, t0, t0);
  await clock.advanceTo(t0 + 29 * DAY);
  assert.equal((await worker().sweepOnce()).deletedByNamespace.get('defaulted'), undefined);
  await clock.advanceTo(t0 + 31 * DAY);
  assert.equal((await worker().sweepOnce()).deletedByNamespace.get('defaulted'), 1);
  assert.equal((await exists(ns, 'a', 'a-run')).state, false);
});

test('the worker sweeps on every interval of the injected clock, counts deletions and stops on abort', async () => {
  const t0 = clock.now();
  const ns = await createNamespace(store, 'periodic', 1 * DAY, t0);
  const lease = await store.shards.acquireShard(3, 'host-test', 3_600_000, t0);
  const cleanup = worker({ sweepIntervalMs: DAY });
  const abort = new AbortController();
  cleanup.start(abort.signal);
  await waitFor(() => cleanup.sweeps === 1);
  await seedRun(store, lease, { namespaceId: ns, workflowId: 'p', runId: 'p-run' }, t0 - 2, t0 - 1);
  await waitFor(() => clock.pendingTimers === 1);
  await clock.advance(DAY + 1);
  await waitFor(() => cleanup.sweeps === 2);
  assert.equal(cleanup.deletedTotal, 1);
  abort.abort();
  await cleanup.stop();
  const sweeps = cleanup.sweeps;
  await clock.advance(10 * DAY);
  assert.equal(cleanup.sweeps, sweeps);
  assert.equal(clock.pendingTimers, 0);
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), `condition not reached: ${condition.toString()}`);
}
