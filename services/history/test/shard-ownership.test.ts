import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { shardIdFor } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import type { PersistenceStore } from '@odin/persistence';
import { PG_ADMIN_URL, throwawayDatabase } from '@odin/test-databases';
import { HistoryService } from '../src/history-service.js';
import type { HistoryLogger, ShardOwnership } from '../src/context.js';
import { eventNames, FakeMatching, NS, settle, signal, start, TEST_OPTIONS } from './harness.js';
import type { Harness } from './harness.js';

const SHARDS = 16;
const RENEW_MS = 40_000;
const ALL = Array.from({ length: SHARDS }, (_, i) => i + 1);

/**
 * Plays the cluster's hash ring: a shard → host assignment the test sets. A paused host keeps the view it had
 * when it was paused and hears of no change, like a stopped process whose membership monitor cannot run.
 */
class FakeRing {
  #owner = new Map<number, string>();
  readonly #listeners = new Map<string, Set<() => void>>();
  readonly #frozen = new Map<string, Map<number, string>>();

  /** Spreads the shards over `hosts` (shard i to hosts[i mod n]) and tells every running host. */
  assign(hosts: string[]): void {
    this.#owner = new Map(ALL.map((id) => [id, hosts[id % hosts.length]!]));
    this.#notify();
  }

  /** Moves single shards and tells every running host. */
  move(moves: Record<number, string>): void {
    for (const [id, host] of Object.entries(moves)) this.#owner.set(Number(id), host);
    this.#notify();
  }

  ownerOf(id: number): string {
    return this.#owner.get(id)!;
  }

  /** The host stops hearing of changes and keeps answering from its current view. */
  pause(host: string): void {
    this.#frozen.set(host, new Map(this.#owner));
  }

  /** Replaces a paused host's view (still without telling it). */
  setPausedView(host: string, view: Map<number, string>): void {
    this.#frozen.set(host, view);
  }

  view(host: string): ShardOwnership {
    return {
      owns: (id) => (this.#frozen.get(host) ?? this.#owner).get(id) === host,
      subscribe: (onChange) => {
        const set = this.#listeners.get(host) ?? new Set();
        this.#listeners.set(host, set);
        set.add(onChange);
        return () => set.delete(onChange);
      },
    };
  }

  #notify(): void {
    for (const [host, listeners] of this.#listeners) {
      if (!this.#frozen.has(host)) for (const l of listeners) l();
    }
  }
}

class CapturingLogger implements HistoryLogger {
  readonly warnings: { obj: object; msg?: string }[] = [];
  debug() {}
  info() {}
  warn(obj: object, msg?: string) {
    this.warnings.push({ obj, msg });
  }
  error() {}
}

interface Host extends Harness {
  hostId: string;
  logger: CapturingLogger;
}

function ownershipSuite(label: string, makeUrl: () => Promise<{ url: string; drop(): Promise<void> }>) {
  describe(`ring-mode shard ownership (${label})`, () => {
    let url: string;
    let drop: () => Promise<void>;
    const stores: PersistenceStore[] = [];
    let clock: VirtualClock;
    let ring: FakeRing;
    let hosts: Host[];

    before(async () => {
      ({ url, drop } = await makeUrl());
    });
    after(async () => {
      for (const s of stores) await s.close();
      await drop();
    });

    async function host(hostId: string): Promise<Host> {
      const store = await openStore({ url, migrate: true, clock, poolSize: 4 });
      stores.push(store);
      const logger = new CapturingLogger();
      const matching = new FakeMatching();
      const history = new HistoryService(
        { clock, store, logger },
        { matching, shardCount: SHARDS, hostId, options: TEST_OPTIONS, ownership: ring.view(hostId) },
      );
      await history.start();
      return { clock, store, matching, history, hostId, logger, close: () => history.stop() };
    }

    async function cluster(ids: string[]): Promise<Host[]> {
      clock = new VirtualClock(Date.UTC(2026, 0, 1));
      ring = new FakeRing();
      ring.assign(ids);
      hosts = [];
      for (const id of ids) hosts.push(await host(id));
      return hosts;
    }

    async function settled(): Promise<void> {
      await settle();
      await Promise.all(hosts.map((h) => h.history.shards.reconcile()));
      await settle();
    }

    async function stopAll(): Promise<void> {
      for (const h of hosts) await h.close();
    }

    function assertPartition(live: Host[]): void {
      const seen = new Map<number, string>();
      for (const h of live) {
        for (const id of h.history.shards.ownedShardIds()) {
          assert.equal(seen.get(id), undefined, `shard ${id} held by ${seen.get(id)} and ${h.hostId}`);
          seen.set(id, h.hostId);
          assert.equal(ring.ownerOf(id), h.hostId, `shard ${id} is held where the ring puts it`);
        }
      }
      assert.deepEqual(
        [...seen.keys()].sort((a, b) => a - b),
        ALL,
        'every shard is held',
      );
    }

    function workflowOn(shardHost: string, prefix: string): { workflowId: string; shardId: number } {
      for (let i = 0; ; i++) {
        const workflowId = `${prefix}-${i}`;
        const shardId = shardIdFor(NS.id, workflowId, SHARDS);
        if (ring.ownerOf(shardId) === shardHost) return { workflowId, shardId };
      }
    }

    test('hosts hold disjoint shards that cover all of them, as the ring says, and only serve those', async () => {
      const [a, b, c] = await cluster(['host-a', 'host-b', 'host-c']);
      assertPartition([a!, b!, c!]);
      for (const h of [a!, b!, c!]) assert.ok(h.history.shards.ownedShardIds().length >= 5);
      const rows = await a!.store.shards.listShards();
      assert.deepEqual(
        rows.map((r) => [r.shardId, r.ownerHostId]),
        ALL.map((id) => [id, ring.ownerOf(id)]),
      );
      const { workflowId, shardId } = workflowOn('host-b', 'w');
      assert.throws(
        () => a!.history.shards.get(shardId),
        (e: { code?: number }) => e.code === 14,
      );
      await assert.rejects(start(a!, workflowId), (e: { code?: number }) => e.code === 14);
      await start(b!, workflowId);
      assert.deepEqual(await eventNames(b!, workflowId), [
        'WORKFLOW_EXECUTION_STARTED',
        'WORKFLOW_TASK_SCHEDULED',
      ]);
      await stopAll();
    });

    test('when a host leaves the ring the others take its shards, and its workflows go on there', async () => {
      const [a, b, c] = await cluster(['host-a', 'host-b', 'host-c']);
      const { workflowId, shardId } = workflowOn('host-c', 'leave');
      await start(c!, workflowId);
      await c!.close();
      ring.assign(['host-a', 'host-b']);
      await settled();
      assertPartition([a!, b!]);
      const heir = ring.ownerOf(shardId) === 'host-a' ? a! : b!;
      await signal(heir, workflowId, 'after-move');
      assert.deepEqual((await eventNames(heir, workflowId)).slice(-1), ['WORKFLOW_EXECUTION_SIGNALED']);

      // A single shard moving between live hosts: released by one, acquired by the other.
      const from = heir;
      const to = heir === a ? b! : a!;
      ring.move({ [shardId]: to.hostId });
      await settled();
      assert.equal(from.history.shards.has(shardId), false);
      assert.equal(to.history.shards.has(shardId), true);
      await assert.rejects(signal(from, workflowId, 'at-old-owner'), (e: { code?: number }) => e.code === 14);
      await signal(to, workflowId, 'at-new-owner');
      assertPartition([a!, b!]);
      await stopAll();
    });

    test('a paused host whose shards were taken writes nothing, and its renew drops what it still holds', async () => {
      const [a, b] = await cluster(['host-a', 'host-b']);
      const one = workflowOn('host-a', 'paused');
      await start(a!, one.workflowId);
      const before = await eventNames(a!, one.workflowId);
      const aShards = a!.history.shards.ownedShardIds();
      assert.ok(aShards.includes(one.shardId));

      ring.pause('host-a');
      ring.assign(['host-b']);
      await settled();
      assert.deepEqual(b!.history.shards.ownedShardIds(), ALL);
      // The paused host still believes it holds its shards...
      assert.deepEqual(a!.history.shards.ownedShardIds(), aShards);
      const stale = a!.history.shards.get(one.shardId);
      assert.equal(stale.ctx.lost, false);

      // ...but a transition through its stale context is refused by the fence and writes nothing.
      await assert.rejects(
        signal(a!, one.workflowId, 'from-paused'),
        (e: { code?: number }) => e.code === 14,
      );
      assert.equal(stale.ctx.lost, true);
      assert.deepEqual(await eventNames(b!, one.workflowId), before);
      assert.equal(a!.history.shards.has(one.shardId), false);

      // When it runs again its membership has expired (it counts itself out): the renew tick finds every other
      // fence lost and drops those shards, and the reconcile after it takes nothing back.
      ring.setPausedView('host-a', new Map());
      await clock.advance(RENEW_MS);
      // The renew tick runs on its own (database round trips, not the virtual clock): wait for it to drop what a
      // holds, because a reconcile run here first would release those shards itself instead.
      for (let i = 0; i < 100 && a!.history.shards.ownedShardIds().length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await settled();
      assert.deepEqual(a!.history.shards.ownedShardIds(), []);
      const dropped = a!.logger.warnings
        .filter((w) => w.msg === 'shard ownership lost; dropping the shard')
        .map((w) => (w.obj as { shardId: number }).shardId)
        .sort((x, y) => x - y);
      assert.deepEqual(dropped, aShards);
      const rows = await b!.store.shards.listShards();
      assert.ok(rows.every((r) => r.ownerHostId === 'host-b'));
      assert.deepEqual(b!.history.shards.ownedShardIds(), ALL);
      await signal(b!, one.workflowId, 'from-owner');
      assert.deepEqual(await eventNames(b!, one.workflowId), [...before, 'WORKFLOW_EXECUTION_SIGNALED']);
      await stopAll();
    });

    test('a shard lost to a fence is taken back on the renew tick while the ring still gives it to the host', async () => {
      const [a, b] = await cluster(['host-a', 'host-b']);
      const target = a!.history.shards.ownedShardIds()[0]!;
      // b steals one of a's shards behind the ring's back (a stale host, say); a's next write or renew loses it.
      await b!.store.shards.acquireShard(target, 'host-b', 120_000, clock.now());
      await clock.advance(RENEW_MS);
      // The renew tick runs on its own (database round trips, not the virtual clock): wait for its outcome, in the
      // store and in a's controller both (on a SQLite file the row is readable before its commit's fsync resolves).
      let row = await a!.store.shards.getShard(target);
      for (let i = 0; i < 100 && (row?.ownerHostId !== 'host-a' || !a!.history.shards.has(target)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        await settled();
        row = await a!.store.shards.getShard(target);
      }
      assert.equal(row?.ownerHostId, 'host-a', 'the ring still gives it to a, so a took it back');
      assert.ok(a!.history.shards.has(target));
      assert.equal(b!.history.shards.has(target), false);
      assertPartition([a!, b!]);
      await stopAll();
    });

    test('without an ownership a host holds every shard, as before', async () => {
      clock = new VirtualClock(Date.UTC(2026, 0, 1));
      const store = await openStore({ url, migrate: true, clock, poolSize: 4 });
      stores.push(store);
      const history = new HistoryService(
        { clock, store },
        { matching: new FakeMatching(), shardCount: SHARDS, hostId: 'solo', options: TEST_OPTIONS },
      );
      await history.start();
      assert.deepEqual(history.shards.ownedShardIds(), ALL);
      await history.stop();
    });
  });
}

ownershipSuite('sqlite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-shard-ownership-'));
  return {
    url: `sqlite:${join(dir, 'odin.db')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

ownershipSuite('postgres', () => throwawayDatabase(PG_ADMIN_URL, 'odin_shards'));
