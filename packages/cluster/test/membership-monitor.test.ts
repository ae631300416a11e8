import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import type { MembershipRecord, MembershipStore, PersistenceStore } from '@odin/persistence';
import { MembershipMonitor } from '../src/membership-monitor.js';
import { ringShardOwnership } from '../src/shard-ownership.js';

const T0 = Date.UTC(2026, 0, 1);
const OPTIONS = { heartbeatIntervalMs: 1_000, ttlMs: 10_000 };

/** A membership store that can be made to fail or hang, to play a sick database. */
class FlakyMembership implements MembershipStore {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  failReads = false;
  upserts = 0;
  prunes = 0;
  constructor(private readonly inner: MembershipStore) {}
  #gate<T>(run: () => Promise<T>): Promise<T> {
    if (this.mode === 'fail') return Promise.reject(new Error('database unavailable'));
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return run();
  }
  upsertMember(record: MembershipRecord): Promise<void> {
    this.upserts++;
    return this.#gate(() => this.inner.upsertMember(record));
  }
  listMembers(input: { role?: string; activeSince: number }): Promise<MembershipRecord[]> {
    if (this.failReads) return Promise.reject(new Error('read failed'));
    return this.#gate(() => this.inner.listMembers(input));
  }
  pruneMembers(before: number): Promise<number> {
    this.prunes++;
    return this.#gate(() => this.inner.pruneMembers(before));
  }
}

function roles(host: string) {
  return [
    { role: 'history', rpcAddress: `${host}:7234` },
    { role: 'matching', rpcAddress: `${host}:7235` },
  ];
}

function ids(records: readonly MembershipRecord[]): string[] {
  return records.map((r) => r.hostId);
}

describe('MembershipMonitor (sqlite)', () => {
  let store: PersistenceStore;
  const running: MembershipMonitor[] = [];

  before(async () => {
    store = await openStore({ url: 'sqlite::memory:', migrate: true, clock: new VirtualClock(T0) });
  });
  after(async () => {
    await store.close();
  });

  async function monitor(
    hostId: string,
    clock: VirtualClock,
    membership: MembershipStore = store.membership,
  ): Promise<MembershipMonitor> {
    const m = new MembershipMonitor(membership, clock, hostId, OPTIONS);
    running.push(m);
    await m.start(roles(hostId));
    return m;
  }

  async function stopAll(): Promise<void> {
    for (const m of running.splice(0)) await m.stop();
    await store.membership.pruneMembers(Number.MAX_SAFE_INTEGER);
  }

  test('a host counts itself from its first heartbeat and sees peers after a read, sorted, per role', async () => {
    const clock = new VirtualClock(T0);
    const b = await monitor('host-b', clock);
    assert.deepEqual(ids(b.members('history')), ['host-b/history']);
    assert.deepEqual(ids(b.members('matching')), ['host-b/matching']);
    const a = await monitor('host-a', clock);
    assert.deepEqual(ids(a.members('history')), ['host-a/history', 'host-b/history']);
    assert.deepEqual(ids(b.members('history')), ['host-b/history'], 'b has not read since');
    await clock.advance(1_000);
    assert.deepEqual(ids(b.members('history')), ['host-a/history', 'host-b/history']);
    assert.deepEqual(ids(b.members('frontend')), []);
    const rec = b.members('matching').find((r) => r.hostId === 'host-a/matching')!;
    assert.equal(rec.rpcAddress, 'host-a:7235');
    assert.equal(rec.recordExpiry, rec.lastHeartbeat + 30_000);
    assert.equal(a.ring('history'), a.ring('history'), 'the ring is cached while the set is unchanged');
    assert.equal(a.ring('history').size, 2);
    await stopAll();
  });

  test('listeners hear of joins, of a clean stop at once, and of a silent peer after the TTL', async () => {
    const clockA = new VirtualClock(T0);
    const clockB = new VirtualClock(T0);
    const clockC = new VirtualClock(T0);
    const a = await monitor('host-a', clockA);
    const heard: string[] = [];
    a.subscribe((role) => heard.push(role));

    const b = await monitor('host-b', clockB);
    await clockA.advance(1_000);
    assert.deepEqual(heard.sort(), ['history', 'matching']);
    assert.deepEqual(ids(a.members('history')), ['host-a/history', 'host-b/history']);

    heard.length = 0;
    await clockA.advance(3_000);
    assert.deepEqual(heard, [], 'no change, no news');

    await b.stop();
    await clockA.advance(1_000);
    assert.deepEqual(heard.sort(), ['history', 'matching']);
    assert.deepEqual(ids(a.members('history')), ['host-a/history']);

    // c heartbeats once and then is paused: its clock never moves again.
    heard.length = 0;
    await clockC.advance(5_000);
    await monitor('host-c', clockC);
    await clockA.advance(1_000);
    assert.deepEqual(ids(a.members('history')), ['host-a/history', 'host-c/history']);
    await clockA.advance(9_000);
    assert.deepEqual(ids(a.members('history')), ['host-a/history', 'host-c/history'], 'within the TTL');
    await clockA.advance(1_000);
    assert.deepEqual(ids(a.members('history')), ['host-a/history']);
    assert.deepEqual(heard.sort(), ['history', 'history', 'matching', 'matching']);
    await stopAll();
  });

  test('a host that cannot heartbeat for longer than the TTL drops itself, then rejoins', async () => {
    const clock = new VirtualClock(T0);
    const flaky = new FlakyMembership(store.membership);
    const a = await monitor('host-a', clock, flaky);
    const heard: string[] = [];
    a.subscribe((role) => heard.push(role));
    flaky.mode = 'fail';
    await clock.advance(10_000);
    assert.deepEqual(
      ids(a.members('history')),
      ['host-a/history'],
      'a failure within the TTL changes nothing',
    );
    await clock.advance(1_000);
    assert.deepEqual(ids(a.members('history')), []);
    assert.equal(a.ring('history').owner('shard:1'), undefined);
    assert.deepEqual(heard.sort(), ['history', 'matching']);
    const attempts = flaky.upserts;
    await clock.advance(2_000);
    assert.ok(flaky.upserts > attempts, 'heartbeats keep being retried');
    flaky.mode = 'ok';
    await clock.advance(1_000);
    assert.deepEqual(ids(a.members('history')), ['host-a/history']);
    await stopAll();
  });

  test('a host back from an expiry rejoins only once it has read its peers again', async () => {
    const clock = new VirtualClock(T0);
    const flaky = new FlakyMembership(store.membership);
    const a = await monitor('host-a', clock, flaky);
    flaky.mode = 'fail';
    await clock.advance(11_000);
    assert.deepEqual(ids(a.members('history')), []);
    flaky.mode = 'ok';
    flaky.failReads = true;
    await clock.advance(2_000);
    assert.deepEqual(ids(a.members('history')), [], 'heartbeats succeed, but the view of peers is stale');
    flaky.failReads = false;
    await clock.advance(1_000);
    assert.deepEqual(ids(a.members('history')), ['host-a/history']);
    // Within the TTL a failed read does not take the host out.
    flaky.failReads = true;
    await clock.advance(3_000);
    assert.deepEqual(ids(a.members('history')), ['host-a/history']);
    flaky.failReads = false;
    await stopAll();
  });

  test('a heartbeat that hangs takes the host out when the TTL runs out, without another tick', async () => {
    const clock = new VirtualClock(T0);
    const flaky = new FlakyMembership(store.membership);
    const a = await monitor('host-a', clock, flaky);
    const heard: string[] = [];
    a.subscribe((role) => heard.push(role));
    flaky.mode = 'hang';
    await clock.advance(10_001);
    assert.deepEqual(ids(a.members('history')), []);
    assert.deepEqual(heard.sort(), ['history', 'matching']);
    running.splice(running.indexOf(a), 1);
    await stopAll();
  });

  test('old rows are pruned now and then', async () => {
    const clock = new VirtualClock(T0);
    const flaky = new FlakyMembership(store.membership);
    await monitor('host-a', clock, flaky);
    await clock.advance(60_000);
    assert.ok(flaky.prunes >= 1);
    await stopAll();
  });

  test('ring shard ownership: disjoint and complete, and a leaving host hands its shards over', async () => {
    const clock = new VirtualClock(T0);
    const hosts = await Promise.all(['h1', 'h2', 'h3'].map((h) => monitor(h, clock)));
    await clock.advance(1_000);
    const owners = hosts.map((m) => ringShardOwnership(m, m.memberId('history')));
    const changes = [0, 0, 0];
    owners.forEach((o, i) => {
      o.subscribe(() => {
        changes[i]!++;
      });
    });
    const count = (o: (typeof owners)[number]) => {
      let n = 0;
      for (let s = 1; s <= 512; s++) if (o.owns(s)) n++;
      return n;
    };
    for (let s = 1; s <= 512; s++) {
      assert.equal(owners.filter((o) => o.owns(s)).length, 1, `shard ${s} has exactly one owner`);
    }
    for (const o of owners) assert.ok(count(o) > 128 && count(o) < 214);
    const h3Shards = Array.from({ length: 512 }, (_, i) => i + 1).filter((s) => owners[2]!.owns(s));
    await hosts[2]!.stop();
    running.splice(running.indexOf(hosts[2]!), 1);
    await clock.advance(1_000);
    assert.deepEqual(changes.slice(0, 2), [1, 1]);
    assert.equal(count(owners[0]!) + count(owners[1]!), 512);
    assert.equal(count(owners[2]!), 0);
    for (const s of h3Shards) assert.ok(owners[0]!.owns(s) || owners[1]!.owns(s));
    await stopAll();
  });
});
