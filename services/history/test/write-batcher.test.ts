import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecutionVersionConflictError, ShardOwnershipLostError } from '@odin/persistence';
import type { Transition } from '@odin/persistence';
import { type CommitObserver, HostWriteBatcher } from '../src/shard/host-write-batcher.js';
import { WriteBatcher } from '../src/shard/write-batcher.js';

function transition(runId: string): Transition {
  return {
    kind: 'update',
    key: { namespaceId: 'ns', workflowId: runId, runId },
    expectedDbVersion: 1,
    status: 1,
    nextEventId: 1,
    state: new Uint8Array(),
    events: [],
    tasks: [],
  };
}

test('submissions queued behind a commit share the next one, and a CAS failure rejects only its submission', async () => {
  const calls: string[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const batcher = new WriteBatcher(async (transitions) => {
    calls.push(transitions.map((t) => (t.kind === 'update' ? t.key.runId : '')));
    if (calls.length === 1) await gate;
    const bad = transitions.findIndex((t) => t.kind === 'update' && t.key.runId === 'bad');
    if (bad >= 0) {
      const error = new ExecutionVersionConflictError(
        { namespaceId: 'ns', workflowId: 'bad', runId: 'bad' },
        1,
        2,
      );
      error.transitionIndex = bad;
      throw error;
    }
    return transitions.map(() => 2);
  });
  const first = batcher.submit([transition('a')]);
  await new Promise((r) => setImmediate(r));
  const queued = [
    batcher.submit([transition('b')]),
    batcher.submit([transition('bad')]),
    batcher.submit([transition('c'), transition('d')]),
  ];
  release();
  assert.deepEqual(await first, [2]);
  const [b, bad, cd] = await Promise.allSettled(queued);
  assert.deepEqual(b, { status: 'fulfilled', value: [2] });
  assert.equal(bad?.status, 'rejected');
  assert.deepEqual(cd, { status: 'fulfilled', value: [2, 2] });
  assert.deepEqual(calls, [['a'], ['b', 'bad', 'c', 'd'], ['b', 'c', 'd']]);
});

test('a lost fence rejects the whole batch', async () => {
  const batcher = new WriteBatcher(async () => {
    throw new ShardOwnershipLostError(1, 1, 2);
  });
  const results = await Promise.allSettled([
    batcher.submit([transition('a')]),
    batcher.submit([transition('b')]),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
});

/** A shard the host batcher commits for: always owned, range 1. */
function fakeShard(shardId: number) {
  return { shardId, lost: false, prepare: async () => ({ shardId, rangeId: 1 }), markLost() {} };
}

/** An observer for tests that look at commits, not at what the batcher reports. */
const quietObserver: CommitObserver = { now: () => 0, batchStarted: () => {}, committed: () => {} };

test('each commit tells its observer the transitions it carries, how long each submission waited and how long it took', async () => {
  let now = 100;
  const started: { transitions: number; waitedMs: number[] }[] = [];
  const committed: number[] = [];
  const gates: (() => void)[] = [];
  const store = {
    async commitShardBatches(batches: { transitions: Transition[] }[]) {
      await new Promise<void>((r) => gates.push(r));
      now += 3;
      return batches.map((b) => ({ dbVersions: b.transitions.map(() => 2) }));
    },
  };
  const batcher = new HostWriteBatcher(store, {
    now: () => now,
    batchStarted: (transitions, waitedMs) => started.push({ transitions, waitedMs: [...waitedMs] }),
    committed: (ms) => committed.push(ms),
  });
  const tick = () => new Promise((r) => setImmediate(r));
  const [s1, s2] = [fakeShard(1), fakeShard(2)];
  const first = batcher.submit(s1, [transition('a')]);
  await tick();
  // The first commit is in flight from 100 on: what comes meanwhile waits for it.
  now = 104;
  const second = batcher.submit(s2, [transition('b'), transition('c')]);
  now = 106;
  const third = batcher.submit(s1, [transition('d')]);
  now = 110;
  gates[0]!();
  assert.deepEqual(await first, [2]);
  while (gates.length < 2) await tick();
  gates[1]!();
  assert.deepEqual(await Promise.all([second, third]), [[2, 2], [2]]);
  // The second commit started at 113, when the first ended: its submissions had waited 9 and 7 ms.
  assert.deepEqual(started, [
    { transitions: 1, waitedMs: [0] },
    { transitions: 3, waitedMs: [9, 7] },
  ]);
  assert.deepEqual(committed, [13, 3]);
});

test('the host batcher commits several shards in one call and isolates a CAS failure to its submission', async () => {
  const calls: { shards: number[]; runs: string[] }[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const store = {
    async commitShardBatches(
      batches: { fence: { shardId: number; rangeId: number }; transitions: Transition[] }[],
    ) {
      const runs = batches.flatMap((b) => b.transitions.map((t) => (t.kind === 'update' ? t.key.runId : '')));
      calls.push({ shards: batches.map((b) => b.fence.shardId), runs });
      if (calls.length === 1) await gate;
      const bad = runs.indexOf('bad');
      if (bad >= 0) {
        const error = new ExecutionVersionConflictError(
          { namespaceId: 'ns', workflowId: 'bad', runId: 'bad' },
          1,
          2,
        );
        error.transitionIndex = bad;
        throw error;
      }
      return batches.map((b) => ({ dbVersions: b.transitions.map(() => 5) }));
    },
  };
  const [s1, s2] = [fakeShard(1), fakeShard(2)];
  const batcher = new HostWriteBatcher(store, quietObserver);
  const first = batcher.submit(s1, [transition('a')]);
  await new Promise((r) => setImmediate(r));
  const queued = [
    batcher.submit(s2, [transition('b')]),
    batcher.submit(s1, [transition('bad')]),
    batcher.submit(s2, [transition('c')]),
  ];
  release();
  assert.deepEqual(await first, [5]);
  const results = await Promise.allSettled(queued);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.deepEqual(calls[1], { shards: [2, 1], runs: ['b', 'c', 'bad'] });
  assert.deepEqual(calls[2], { shards: [2], runs: ['b', 'c'] });
});

/**
 * A host batcher with up to `maxConcurrentCommits` commits in flight, the second and later once `backlog` wait, over
 * a store that records each commit (`calls`) and holds it until the test opens its gate (`gates`, in call order).
 * Every transition commits at db version `version`; `most` is the largest number of commits seen in flight at once.
 */
function gatedBatcher(maxConcurrentCommits: number, backlog: number, version: number, splitMin?: number) {
  const calls: { shards: number[]; runs: string[] }[] = [];
  const gates: (() => void)[] = [];
  let inFlight = 0;
  let most = 0;
  const store = {
    async commitShardBatches(
      batches: { fence: { shardId: number; rangeId: number }; transitions: Transition[] }[],
    ) {
      calls.push({
        shards: batches.map((b) => b.fence.shardId),
        runs: batches.flatMap((b) => b.transitions.map((t) => (t.kind === 'update' ? t.key.runId : ''))),
      });
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => gates.push(r));
      inFlight--;
      return batches.map((b) => ({ dbVersions: b.transitions.map(() => version) }));
    },
  };
  const batcher = new HostWriteBatcher(store, quietObserver, undefined, {
    maxConcurrentCommits,
    parallelBacklog: backlog,
    ...(splitMin === undefined ? {} : { splitMin }),
  });
  return { batcher, calls, gates, most: () => most };
}

test('with several commits allowed and no backlog required, other shards commit beside one in flight, and a shard waits for its own', async () => {
  const { batcher, calls, gates, most } = gatedBatcher(2, 1, 7);
  const [s1, s2, s3] = [fakeShard(1), fakeShard(2), fakeShard(3)];
  const tick = () => new Promise((r) => setImmediate(r));
  const a = batcher.submit(s1, [transition('a')]);
  await tick();
  await tick();
  // Shard 1 is in flight: its next submission waits, shard 2's goes out beside it in a second commit.
  const a2 = batcher.submit(s1, [transition('a2')]);
  const b = batcher.submit(s2, [transition('b')]);
  await tick();
  await tick();
  assert.deepEqual(calls, [
    { shards: [1], runs: ['a'] },
    { shards: [2], runs: ['b'] },
  ]);
  // Two in flight, the limit: shard 3 queues too.
  const c = batcher.submit(s3, [transition('c')]);
  await tick();
  await tick();
  assert.equal(calls.length, 2);
  gates.shift()!();
  assert.deepEqual(await a, [7]);
  await tick();
  await tick();
  // Shard 1's commit ended: its queued submission goes with shard 3's, in queue order.
  assert.deepEqual(calls[2], { shards: [1, 3], runs: ['a2', 'c'] });
  for (const release of gates.splice(0)) release();
  assert.deepEqual(await Promise.all([a2, b, c]), [[7], [7], [7]]);
  assert.equal(most(), 2);
});

test('a commit starts beside one in flight only once the backlog reaches the threshold; smaller queues wait and go together', async () => {
  const { batcher, calls, gates, most } = gatedBatcher(4, 3, 3);
  const [s1, s2, s3, s4] = [fakeShard(1), fakeShard(2), fakeShard(3), fakeShard(4)];
  const tick = async () => {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  const a = batcher.submit(s1, [transition('a')]);
  await tick();
  // One commit in flight: two transitions of other shards are below the backlog of three, so they wait.
  const b = batcher.submit(s2, [transition('b')]);
  const c = batcher.submit(s3, [transition('c')]);
  await tick();
  assert.deepEqual(calls, [{ shards: [1], runs: ['a'] }]);
  // A third makes the backlog: all three go out together beside the commit in flight.
  const d = batcher.submit(s4, [transition('d')]);
  await tick();
  assert.deepEqual(calls[1], { shards: [2, 3, 4], runs: ['b', 'c', 'd'] });
  // A small queue behind two in flight waits for the next free turn, then goes as one commit.
  const e = batcher.submit(s2, [transition('e')]);
  const f = batcher.submit(s1, [transition('f')]);
  await tick();
  assert.equal(calls.length, 2);
  gates.shift()!();
  assert.deepEqual(await a, [3]);
  await tick();
  assert.equal(calls.length, 2, 'one commit still in flight and a backlog of one: nothing starts');
  gates.shift()!();
  assert.deepEqual(await Promise.all([b, c, d]), [[3], [3], [3]]);
  await tick();
  assert.deepEqual(calls[2], { shards: [2, 1], runs: ['e', 'f'] });
  gates.shift()!();
  assert.deepEqual(await Promise.all([e, f]), [[3], [3]]);
  assert.equal(most(), 2);
});

test('a queue found with nothing in flight is split evenly over several commits, a shard in one of them only', async () => {
  const { batcher, calls, gates, most } = gatedBatcher(4, 64, 5, 2);
  const [s1, s2, s3, s4] = [fakeShard(1), fakeShard(2), fakeShard(3), fakeShard(4)];
  const tick = async () => {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  // Six transitions wait and each commit takes at least two: the queue is split three ways, two transitions each,
  // although the backlog that opens a commit beside one in flight (64) is far off. The third part would be shards 1
  // and 2 again, already in flight, so two commits start at once.
  const first = [
    batcher.submit(s1, [transition('a')]),
    batcher.submit(s2, [transition('b')]),
    batcher.submit(s3, [transition('c')]),
    batcher.submit(s4, [transition('d')]),
    batcher.submit(s1, [transition('a2')]),
    batcher.submit(s2, [transition('b2')]),
  ];
  await tick();
  assert.deepEqual(calls, [
    { shards: [1, 2], runs: ['a', 'b'] },
    { shards: [3, 4], runs: ['c', 'd'] },
  ]);
  // Shards 1 and 2 are in flight, so their second submissions are not taken beside them. Once that commit ends they
  // are two behind one still in flight, below the backlog: they wait for it, then go together.
  assert.equal(most(), 2);
  gates.shift()!();
  await tick();
  assert.equal(calls.length, 2);
  gates.shift()!();
  await tick();
  assert.deepEqual(calls[2], { shards: [1, 2], runs: ['a2', 'b2'] });
  for (const release of gates.splice(0)) release();
  await tick();
  assert.deepEqual(await Promise.all(first), [[5], [5], [5], [5], [5], [5]]);
});

test('a queue below twice the split minimum, or with one commit allowed, goes out as one commit', async () => {
  const tick = async () => {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  };
  for (const [commits, waiting] of [
    [4, 3],
    [1, 8],
  ] as const) {
    const { batcher, calls, gates } = gatedBatcher(commits, 64, 1, 2);
    const submitted = Array.from({ length: waiting }, (_, i) =>
      batcher.submit(fakeShard(i + 1), [transition(`r${i}`)]),
    );
    await tick();
    assert.equal(calls.length, 1, `${commits} commits allowed, ${waiting} waiting`);
    assert.equal(calls[0]!.runs.length, waiting);
    gates.shift()!();
    assert.equal((await Promise.all(submitted)).length, waiting);
  }
});
