// The host batcher's split (group-commit-queue.ts) on the server databases it is for: the parts of one queue go to
// PostgreSQL and MySQL as commits side by side (each on a connection of its own), and every submission ends committed
// or, for a stale version, refused alone, as in a single commit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import {
  ExecutionVersionConflictError,
  openStore,
  type PersistenceStore,
  type ShardBatch,
  type Transition,
  WorkflowStatus,
} from '@odin/persistence';
import {
  MYSQL_ADMIN_URL,
  PG_ADMIN_URL,
  type ThrowawayDatabase,
  throwawayDatabase,
} from '@odin/test-databases';
import { HostWriteBatcher } from '../src/shard/host-write-batcher.js';

const T0 = Date.UTC(2026, 0, 1);
const NAMESPACE_ID = randomUUID();
const SHARDS = 8;
const RUNS_PER_SHARD = 3;

const bytes = (text: string) => new TextEncoder().encode(text);

function created(workflowId: string, runId: string, shardId: number): Transition {
  return {
    kind: 'create',
    execution: {
      key: { namespaceId: NAMESPACE_ID, workflowId, runId },
      shardId,
      status: WorkflowStatus.RUNNING,
      nextEventId: 3,
      dbVersion: 1,
      state: bytes('state:1'),
      startTime: T0,
      closeTime: null,
      updatedAt: T0,
    },
    current: { mode: 'brand-new' },
    createRequestId: randomUUID(),
    events: [
      { eventId: 1, data: bytes('e1') },
      { eventId: 2, data: bytes('e2') },
    ],
    tasks: [],
  };
}

function updated(workflowId: string, runId: string, expectedDbVersion: number): Transition {
  return {
    kind: 'update',
    key: { namespaceId: NAMESPACE_ID, workflowId, runId },
    expectedDbVersion,
    status: WorkflowStatus.RUNNING,
    nextEventId: 4,
    state: bytes('state:2'),
    events: [{ eventId: 3, data: bytes('e3') }],
    tasks: [],
  };
}

function splitSuite(label: string, adminUrl: string) {
  describe(`a split group commit on ${label}`, () => {
    let database: ThrowawayDatabase;
    let store: PersistenceStore;
    before(async () => {
      database = await throwawayDatabase(adminUrl, 'odin_split');
      store = await openStore({ url: database.url, migrate: true, clock: new VirtualClock(T0), poolSize: 8 });
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });

    test('runs its parts as transactions side by side, each submission committed or refused alone', async () => {
      const leases = await Promise.all(
        Array.from({ length: SHARDS }, (_, i) => store.shards.acquireShard(i + 1, 'host-a', 60_000, T0)),
      );
      // The store as the batcher sees it, counting the commits it was given at once and the transitions of each.
      let inFlight = 0;
      let most = 0;
      const sizes: number[] = [];
      const counting = {
        commitShardBatches: async (batches: ShardBatch[]) => {
          inFlight++;
          most = Math.max(most, inFlight);
          sizes.push(batches.reduce((n, b) => n + b.transitions.length, 0));
          try {
            return await store.executions.commitShardBatches(batches);
          } finally {
            inFlight--;
          }
        },
      };
      // Four commits allowed, a part takes at least 4 transitions: 24 waiting split into four parts of 6.
      const batcher = new HostWriteBatcher(
        counting,
        { now: () => T0, batchStarted: () => {}, committed: () => {} },
        undefined,
        { maxConcurrentCommits: 4, parallelBacklog: 64, splitMin: 4 },
      );
      const shards = leases.map((lease) => ({
        shardId: lease.shardId,
        lost: false,
        prepare: async () => lease,
        markLost() {},
      }));
      const runs = shards.flatMap((shard) =>
        Array.from({ length: RUNS_PER_SHARD }, (_, i) => ({
          shard,
          workflowId: `wf-${shard.shardId}-${i}`,
          runId: randomUUID(),
        })),
      );

      const creates = await Promise.all(
        runs.map((r) => batcher.submit(r.shard, [created(r.workflowId, r.runId, r.shard.shardId)])),
      );
      assert.deepEqual(
        creates,
        runs.map(() => [1]),
      );
      assert.equal(most, 4, 'four commits at once');
      assert.deepEqual(sizes, [6, 6, 6, 6]);

      // The same again as updates, one of them with a stale version: it is refused, every other one commits.
      const stale = runs[5]!;
      const outcomes = await Promise.allSettled(
        runs.map((r) => batcher.submit(r.shard, [updated(r.workflowId, r.runId, r === stale ? 7 : 1)])),
      );
      for (const [i, outcome] of outcomes.entries()) {
        if (runs[i] === stale) {
          assert.equal(outcome.status, 'rejected');
          assert.ok((outcome as PromiseRejectedResult).reason instanceof ExecutionVersionConflictError);
        } else assert.deepEqual(outcome, { status: 'fulfilled', value: [2] });
      }
      for (const r of runs) {
        const row = await store.executions.getExecution({
          namespaceId: NAMESPACE_ID,
          workflowId: r.workflowId,
          runId: r.runId,
        });
        assert.equal(row?.dbVersion, r === stale ? 1 : 2, r.workflowId);
        assert.equal(row?.nextEventId, r === stale ? 3 : 4, r.workflowId);
      }
    });
  });
}

splitSuite('postgres', PG_ADMIN_URL);
splitSuite('mysql', MYSQL_ADMIN_URL);
