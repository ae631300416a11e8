import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDatabaseIfMissing, dropDatabase } from '@odin/server';
import { databaseOn, PG_ADMIN_URL } from '@odin/test-databases';
import * as activities from './activities.js';
import { type Cluster, startCluster } from './cluster.js';
import { installRuntime, topologiesUnderTest, workflowBundle } from './harness.js';

const WORKFLOWS = 60;
const SHAPE = { history: 3, matching: 2, shardCount: 64, membershipTtlMs: 3_000, logLevel: 'info' } as const;
/** Shards must have a live owner again within this long of a host's death (the ring's TTL plus a reconcile). */
const REASSIGN_BOUND_MS = 2 * SHAPE.membershipTtlMs + 2_000;

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Shard id → owner host name (`history-2`), from the lease rows. */
async function shardOwners(store: PersistenceStore): Promise<Map<number, string>> {
  const rows = await store.shards.listShards();
  return new Map(rows.map((r) => [r.shardId, r.ownerHostId.replace(/\/history$/, '')]));
}

const skip = !topologiesUnderTest().includes('cluster');

describe('cluster: history hosts killed (SIGKILL) and paused (SIGSTOP) under load [postgres]', {
  skip,
}, () => {
  const dbUrl = databaseOn(PG_ADMIN_URL, `odin_failover_${process.pid}_${Date.now().toString(36)}`);
  let cluster: Cluster | undefined;
  let store: PersistenceStore | undefined;

  before(async () => {
    installRuntime();
    await createDatabaseIfMissing(dbUrl);
    cluster = await startCluster(dbUrl, SHAPE);
    store = await openStore({ url: dbUrl, migrate: false });
  });

  after(async () => {
    await cluster?.stop();
    await store?.close();
    await dropDatabase(dbUrl).catch(() => undefined);
  });

  test('every workflow completes once, shards move within the bound, the paused host writes nothing', {
    timeout: 180_000,
  }, async () => {
    const c = cluster!;
    const db = store!;
    const owners = await waitFor('every shard owned by the three history hosts', 20_000, async () => {
      const map = await shardOwners(db);
      const hosts = new Set(map.values());
      return map.size === SHAPE.shardCount && hosts.size === 3 ? map : undefined;
    });
    assert.equal(owners.size, SHAPE.shardCount);
    const rangesBefore = new Map((await db.shards.listShards()).map((r) => [r.shardId, r.rangeId]));

    const connection = await Connection.connect({ address: c.address });
    const client = new Client({ connection, namespace: 'default' });
    const native = await NativeConnection.connect({ address: c.address });
    const taskQueue = 'failover';
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
    });
    const running = worker.run();
    const paused = c.hosts.get('history-2')!;
    try {
      const ids = Array.from({ length: WORKFLOWS }, (_, i) => `failover-${i}`);
      const handles = await Promise.all(
        ids.map((workflowId) =>
          client.workflow.start('sleepThenEcho', { taskQueue, workflowId, args: [workflowId, 1_500] }),
        ),
      );
      const results = handles.map((h) => h.result());
      // The faults land while every workflow waits on its durable timer or its activity.
      await sleep(500);
      const faultAt = Date.now();
      await c.hosts.get('history-1')!.kill('SIGKILL');
      paused.process.kill('SIGSTOP');

      const after = await waitFor('the survivor to own every shard', REASSIGN_BOUND_MS + 5_000, async () => {
        const map = await shardOwners(db);
        return [...map.values()].every((h) => h === 'history-3') ? map : undefined;
      });
      const reassignedMs = Date.now() - faultAt;
      assert.equal(after.size, SHAPE.shardCount);
      assert.ok(
        reassignedMs <= REASSIGN_BOUND_MS,
        `shards were reassigned after ${reassignedMs} ms; the bound is ${REASSIGN_BOUND_MS} ms`,
      );

      // Resume the paused host: its leases are gone, so it must drop its shards before anything of it is written.
      paused.process.kill('SIGCONT');
      await waitFor('the resumed host to give up its stale shards', 15_000, async () =>
        /shard ownership lost|shard moved to another host/.test(paused.output()) ? true : undefined,
      );

      const settled = results.map((r) => r.then(() => true).catch(() => true));
      const values = await Promise.race([
        Promise.all(results),
        sleep(90_000).then(async () => {
          const done = await Promise.all(settled.map((p) => Promise.race([p, sleep(0).then(() => false)])));
          const stuck = ids.filter((_, i) => !done[i]);
          for (const workflowId of stuck.slice(0, 3)) {
            const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
            console.error(`stuck ${workflowId}: ${events.map((e) => e.eventType).join(',')}`);
          }
          throw new Error(`${stuck.length} workflows did not complete within 90 s of the faults`);
        }),
      ]);
      assert.deepEqual(
        values,
        ids.map((id) => `${id}-done`),
      );
      for (const workflowId of ids) {
        const history = await client.workflow.getHandle(workflowId).fetchHistory();
        const events = history.events ?? [];
        events.forEach((event, i) => {
          assert.equal(Number(event.eventId), i + 1, `${workflowId}: event ids are contiguous`);
        });
        const completed = events.filter((e) => e.workflowExecutionCompletedEventAttributes);
        assert.equal(completed.length, 1, `${workflowId}: completed exactly once`);
        assert.ok(
          events.at(-1)?.workflowExecutionCompletedEventAttributes,
          `${workflowId}: completion is last`,
        );
      }
      // Every shard the dead and the paused host held was taken over under a new range, so whatever the paused
      // host still had in flight carried a fence the database refuses.
      const finalRanges = new Map((await db.shards.listShards()).map((r) => [r.shardId, r.rangeId]));
      for (const [shardId, owner] of owners) {
        if (owner === 'history-3') continue;
        assert.ok(
          (finalRanges.get(shardId) ?? 0) > (rangesBefore.get(shardId) ?? 0),
          `shard ${shardId} of ${owner} was taken over under a new range`,
        );
      }
    } catch (error) {
      // What each host said is the only trace of a distributed failure: print it with the assertion.
      for (const [name, host] of c.hosts) console.error(`--- ${name}\n${host.output().slice(-4_000)}`);
      throw error;
    } finally {
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
    }
  });
});
