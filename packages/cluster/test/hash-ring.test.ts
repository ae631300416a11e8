import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MembershipRecord } from '@odin/persistence';
import { HashRing } from '../src/hash-ring.js';

function member(hostId: string): MembershipRecord {
  return {
    hostId,
    role: 'history',
    rpcAddress: `${hostId}:7234`,
    sessionStart: 0,
    lastHeartbeat: 1,
    recordExpiry: 2,
  };
}

const KEYS = Array.from({ length: 512 }, (_, i) => `shard:${i + 1}`);

function assignment(ring: HashRing): Map<string, string> {
  return new Map(KEYS.map((k) => [k, ring.owner(k)!.hostId]));
}

test('an empty ring owns nothing', () => {
  const ring = new HashRing([]);
  assert.equal(ring.size, 0);
  assert.deepEqual(ring.memberIds, []);
  assert.equal(ring.owner('shard:1'), undefined);
});

test('512 shard keys spread over 3 members within 25% of a third each', () => {
  const ring = new HashRing(['host-a/history', 'host-b/history', 'host-c/history'].map(member));
  const counts = new Map<string, number>();
  for (const owner of assignment(ring).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  assert.equal(counts.size, 3);
  const fair = 512 / 3;
  for (const [id, n] of counts) {
    assert.ok(n >= fair * 0.75 && n <= fair * 1.25, `${id} owns ${n} of 512`);
  }
});

test('balance holds for other member names too', () => {
  for (const names of [
    ['10.0.0.1:7234/history', '10.0.0.2:7234/history', '10.0.0.3:7234/history'],
    ['history-0/history', 'history-1/history', 'history-2/history'],
    ['a', 'b', 'c'],
  ]) {
    const counts = new Map<string, number>();
    for (const owner of assignment(new HashRing(names.map(member))).values()) {
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const [id, n] of counts) assert.ok(n >= 128 && n <= 213, `${id} owns ${n} of 512`);
  }
});

test('removing a member moves only its keys; adding one takes keys only for itself', () => {
  const all = ['h1', 'h2', 'h3', 'h4'].map(member);
  const before = assignment(new HashRing(all));
  const after = assignment(new HashRing(all.filter((m) => m.hostId !== 'h2')));
  for (const key of KEYS) {
    if (before.get(key) !== 'h2') assert.equal(after.get(key), before.get(key), key);
    else assert.notEqual(after.get(key), 'h2');
  }
  // Adding h2 back is the same change seen the other way.
  for (const key of KEYS) {
    if (after.get(key) !== before.get(key)) assert.equal(before.get(key), 'h2');
  }
});

test('the answer is deterministic and independent of member order and duplicates', () => {
  const members = ['x/history', 'y/history', 'z/history'].map(member);
  const one = assignment(new HashRing(members));
  const two = assignment(new HashRing([...members].reverse().concat(members[0]!)));
  assert.deepEqual([...two], [...one]);
  assert.equal(new HashRing(members).size, 3);
  assert.deepEqual(new HashRing([...members].reverse()).memberIds, ['x/history', 'y/history', 'z/history']);
  // Pinned values: a change of the hash would silently move every shard of a running cluster on upgrade.
  const pinned = KEYS.slice(0, 6).map((k) => one.get(k));
  assert.deepEqual(pinned, PINNED);
});

const PINNED = ['y/history', 'y/history', 'z/history', 'x/history', 'z/history', 'y/history'];
