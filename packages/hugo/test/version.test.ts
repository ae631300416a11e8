import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../src/clock.js';
import {
  type DeterministicRecord,
  type DeterministicStateStore,
  InMemoryDeterministicStateStore,
  VersionGate,
} from '../src/deterministic/index.js';
import { ErrorCodes } from '../src/result/index.js';

describe('VersionGate', () => {
  test('a new marker defaults to the minimum version (Odin’s choice) and is recorded', async () => {
    const clock = new VirtualClock(5000);
    const store = new InMemoryDeterministicStateStore();
    const gate = new VersionGate(store, { clock, scope: null });
    const r = await gate.require('change', 1, 3);
    assert.deepEqual(r, { ok: true, value: { version: 1, isNew: true, recordedAt: 5000 } });
    const record = await store.get('change');
    assert.equal(record?.kind, 'hugo.version');
    assert.deepEqual(JSON.parse(record!.payload), { version: 1 });
  });

  test('the recorded marker is returned later with isNew=false', async () => {
    const clock = new VirtualClock(10);
    const gate = new VersionGate(new InMemoryDeterministicStateStore(), { clock, scope: null });
    await gate.require('c', 1, 3, (ctx) => ctx.maxVersion);
    await clock.advance(100);
    const again = await gate.require('c', 1, 3);
    assert.deepEqual(again, { ok: true, value: { version: 3, isNew: false, recordedAt: 10 } });
  });

  test('a recorded version outside the range is a version conflict with metadata', async () => {
    const gate = new VersionGate(new InMemoryDeterministicStateStore(), { scope: null });
    await gate.require('c', 1, 1);
    const r = await gate.require('c', 2, 4);
    assert.equal(r.error?.code, ErrorCodes.VersionConflict);
    assert.equal(r.error?.metadata.get('persistedVersion'), 1);
    assert.equal(r.error?.metadata.get('minVersion'), 2);
    assert.equal(r.error?.metadata.get('maxVersion'), 4);
    assert.equal(r.error?.metadata.get('changeId'), 'c');
  });

  test('an initial version outside the range is a version conflict and records nothing', async () => {
    const store = new InMemoryDeterministicStateStore();
    const gate = new VersionGate(store, { scope: null });
    const r = await gate.require('c', 1, 2, () => 7);
    assert.equal(r.error?.code, ErrorCodes.VersionConflict);
    assert.equal(r.error?.metadata.get('initialVersion'), 7);
    assert.equal(store.size, 0);
  });

  test('min greater than max is a validation error', async () => {
    const gate = new VersionGate(new InMemoryDeterministicStateStore(), { scope: null });
    const r = await gate.require('c', 3, 1);
    assert.equal(r.error?.code, ErrorCodes.Validation);
  });

  test('a throwing provider becomes error.exception with the change id', async () => {
    const gate = new VersionGate(new InMemoryDeterministicStateStore(), { scope: null });
    const r = await gate.require('c', 1, 2, () => {
      throw new Error('provider');
    });
    assert.equal(r.error?.code, ErrorCodes.Exception);
    assert.equal(r.error?.metadata.get('changeId'), 'c');
  });

  test('a record of another kind is error.deterministic.replay', async () => {
    const store = new InMemoryDeterministicStateStore();
    await store.set('c', { kind: 'hugo.effect', version: 0, payload: '{}', recordedAt: 0 });
    const r = await new VersionGate(store, { scope: null }).require('c', 1, 2);
    assert.equal(r.error?.code, ErrorCodes.DeterministicReplay);
  });

  test('the loser of a tryAdd race returns the winner’s decision', async () => {
    const inner = new InMemoryDeterministicStateStore();
    // A store where another writer inserts version 2 between our read and our insert.
    const racing: DeterministicStateStore = {
      get: (key) => inner.get(key),
      set: (key, record) => inner.set(key, record),
      async tryAdd(key: string, record: DeterministicRecord) {
        await inner.tryAdd(key, {
          kind: 'hugo.version',
          version: 2,
          payload: '{"version":2}',
          recordedAt: 77,
        });
        return inner.tryAdd(key, record);
      },
    };
    const r = await new VersionGate(racing, { scope: null }).require('c', 1, 3);
    assert.deepEqual(r, { ok: true, value: { version: 2, isNew: false, recordedAt: 77 } });
  });

  test('a blank change id throws', async () => {
    const gate = new VersionGate(new InMemoryDeterministicStateStore(), { scope: null });
    assert.throws(() => gate.require(' ', 1, 2), TypeError);
  });
});
