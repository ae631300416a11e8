// Encryption at rest in the store (docs/security.md, "Encryption at rest"): the envelope, the key provider, and on
// each dialect the sealed rows, rotation, re-encryption and the failures of a wrong or missing key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { DialectName, PersistenceStore, ShardFence } from '../src/contract.js';
import { openDatabase } from '../src/database.js';
import { parseConnectionUrl } from '../src/connection-url.js';
import { isSealed, open, seal, sealedKeyVersion } from '../src/encryption/envelope.js';
import { EncryptionKeyUnavailableError, UndecryptableDataError } from '../src/encryption/errors.js';
import { LocalKeyProvider, loadKeyProvider, parseKeyEncryptionKeys } from '../src/encryption/key-provider.js';
import { SEALED_BLOB_COLUMNS } from '../src/encryption/reencrypt.js';
import { rotateNamespaceKey } from '../src/encryption/rotate-key.js';
import { openStore } from '../src/open-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { bytes, create, key, T0, text, transferTask, update, visibility } from './support/fixtures.js';

const MARKER = 'PLAINTEXT-MARKER-7f3a';
const DATA_LOSS = 15;
const FAILED_PRECONDITION = 9;

const kek = () => randomBytes(32);
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const provider = (...keys: Uint8Array[]) => new LocalKeyProvider(keys, 'test keys');

describe('envelope', () => {
  const dataKey = { namespaceId: 'ns-a', version: 3, key: randomBytes(32) };

  test('seals with a header naming the key version and opens back', () => {
    const sealed = seal(bytes(MARKER), dataKey);
    assert.ok(isSealed(sealed));
    assert.equal(sealedKeyVersion(sealed), 3);
    assert.ok(!Buffer.from(sealed).includes(MARKER));
    assert.equal(text(open(sealed, dataKey, 'blob')), MARKER);
    // A fresh IV each time.
    assert.notDeepEqual(seal(bytes(MARKER), dataKey), sealed);
  });

  test('plaintext blobs the engine writes are never taken for sealed ones', () => {
    for (const plain of [bytes('{"a":1}'), Uint8Array.of(0x08, 0x01, 0x10, 0x02), new Uint8Array(0)]) {
      assert.ok(!isSealed(plain));
      assert.equal(sealedKeyVersion(plain), undefined);
    }
  });

  test('a changed byte, another namespace or another key fails with DATA_LOSS', () => {
    const sealed = seal(bytes(MARKER), dataKey);
    const flipped = Uint8Array.from(sealed);
    flipped[flipped.length - 20]! ^= 1;
    const dataLoss = (e: unknown) => e instanceof UndecryptableDataError && e.code === DATA_LOSS;
    assert.throws(() => open(flipped, dataKey, 'blob'), dataLoss);
    assert.throws(() => open(sealed, { ...dataKey, namespaceId: 'ns-b' }, 'blob'), dataLoss);
    assert.throws(() => open(sealed, { ...dataKey, key: randomBytes(32) }, 'blob'), dataLoss);
    assert.throws(() => open(sealed, { ...dataKey, version: 4 }, 'blob'), dataLoss);
  });
});

describe('key provider', () => {
  test('parses base64 keys, the first one current, and never echoes a bad one', () => {
    const [a, b] = [kek(), kek()];
    const keys = parseKeyEncryptionKeys(`# current first\n${b64(a)}\n${b64(b)}\n`, 'file k');
    assert.deepEqual(keys.map(b64), [b64(a), b64(b)]);
    assert.equal(parseKeyEncryptionKeys(`${b64(a)},${b64(b)}`, 'env').length, 2);
    const short = Buffer.from('secret-material-short').toString('base64');
    assert.throws(
      () => parseKeyEncryptionKeys(short, 'env'),
      (e: Error) => /not base64 of 32 bytes/.test(e.message) && !e.message.includes(short),
    );
    assert.throws(() => parseKeyEncryptionKeys('# nothing\n', 'env'), /holds no key/);
  });

  test('wraps under the current key; unwraps with any held key and the same context only', async () => {
    const [oldKey, newKey] = [kek(), kek()];
    const before = provider(oldKey);
    const wrapped = await before.wrap(bytes('data key'), 'ctx-1');
    const rotated = provider(newKey, oldKey);
    assert.ok(!rotated.isCurrent(wrapped.kekId));
    const back = await rotated.unwrap(wrapped.kekId, wrapped.wrapped, 'ctx-1');
    assert.ok(back.ok && text(back.dataKey) === 'data key');
    assert.deepEqual(await rotated.unwrap(wrapped.kekId, wrapped.wrapped, 'ctx-2'), {
      ok: false,
      reason: 'failed',
    });
    assert.deepEqual(await provider(newKey).unwrap(wrapped.kekId, wrapped.wrapped, 'ctx-1'), {
      ok: false,
      reason: 'unknown-kek',
    });
  });

  test('loads from a key file or the variable, not both; none configured is encryption off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-kek-'));
    try {
      const file = join(dir, 'kek');
      const k = kek();
      writeFileSync(file, `${b64(k)}\n`, { mode: 0o600 });
      assert.ok((await loadKeyProvider({ keyFile: file }))?.description.includes(file));
      assert.ok(await loadKeyProvider({ keys: b64(k) }));
      assert.equal(await loadKeyProvider({}), undefined);
      await assert.rejects(loadKeyProvider({ keyFile: file, keys: b64(k) }), /not both/);
      await assert.rejects(loadKeyProvider({ keyFile: join(dir, 'missing') }), /cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Every sealed blob column's bytes (and the wrapped data keys), straight from the database. */
async function rawBlobs(url: string): Promise<{ table: string; blob: Uint8Array }[]> {
  const { db } = await openDatabase(parseConnectionUrl(url), { poolSize: 1 });
  try {
    const out: { table: string; blob: Uint8Array }[] = [];
    for (const spec of [...SEALED_BLOB_COLUMNS, { table: 'namespace_data_keys', column: 'wrapped_key' }]) {
      const { rows } = await sql<{ sealed_blob: unknown }>`
        SELECT ${sql.ref(spec.column)} AS sealed_blob FROM ${sql.table(spec.table)}`.execute(db);
      for (const row of rows)
        if (row.sealed_blob != null)
          out.push({ table: spec.table, blob: new Uint8Array(row.sealed_blob as Buffer) });
    }
    return out;
  } finally {
    await db.destroy();
  }
}

async function corruptOneEvent(url: string): Promise<Uint8Array> {
  const { db } = await openDatabase(parseConnectionUrl(url), { poolSize: 1 });
  try {
    const row = await db
      .selectFrom('history_events')
      .selectAll()
      .where('event_id', '=', 1)
      .executeTakeFirstOrThrow();
    const bad = Buffer.from(row.data as Uint8Array);
    bad[bad.length - 1]! ^= 0xff;
    await db
      .updateTable('history_events')
      .set({ data: bad })
      .where('run_id', '=', row.run_id)
      .where('event_id', '=', 1)
      .execute();
    return new Uint8Array(bad);
  } finally {
    await db.destroy();
  }
}

const markerCount = (blobs: { blob: Uint8Array }[]) =>
  blobs.filter(({ blob }) => Buffer.from(blob).includes(MARKER)).length;

const DIALECTS: DialectName[] = ['sqlite', 'postgres', 'mysql'];

for (const dialect of DIALECTS) {
  describe(`encryption at rest [${dialect}]`, () => {
    let db: TestDatabase;
    const current = kek();
    const open = (keys: Uint8Array[] | undefined) =>
      openStore({
        url: db.url,
        migrate: true,
        encryption: { provider: keys ? provider(...keys) : undefined },
      });

    before(async () => {
      db = await createTestDatabase(dialect);
    });
    after(async () => {
      await db.drop();
    });

    /** A run with the marker in its state, events, a transfer task, its memo and a backlog task. */
    async function writeRun(store: PersistenceStore, fence: ShardFence, namespaceId: string) {
      const k = key(undefined, undefined, namespaceId);
      const t = create(k, fence.shardId, {
        execution: {
          ...create(k, fence.shardId).execution,
          state: bytes(`{"input":"${MARKER}"}`),
        },
        events: [
          { eventId: 1, data: bytes(`event-1 ${MARKER}`) },
          { eventId: 2, data: bytes(`event-2 ${MARKER}`) },
        ],
        tasks: [
          {
            ...transferTask(k, fence.rangeId * 2 ** 20 + Math.floor(Math.random() * 1e5)),
            data: bytes(MARKER),
          },
        ],
        visibility: visibility(k, { memo: bytes(`memo ${MARKER}`) }),
      });
      await store.executions.commitShardBatch(fence, [t]);
      const lease = await store.matching.acquireTaskQueueLease(namespaceId, `q-${k.runId}`, 1, T0);
      await store.matching.createMatchingTasks(lease, [
        { taskId: lease.rangeId * 100_000 - 99_999, data: bytes(`backlog ${MARKER}`), createdAt: T0 },
      ]);
      return { k, queue: `q-${k.runId}` };
    }

    async function readBack(store: PersistenceStore, k: ReturnType<typeof key>, queue: string) {
      const exec = await store.executions.getExecution(k);
      const history = await store.history.readHistory(k, { pageSize: 10 });
      const vis = await store.visibility.getVisibility(k.namespaceId, k.runId);
      const backlog = await store.matching.readMatchingTasks(k.namespaceId, queue, 1, {
        afterTaskId: 0,
        limit: 10,
      });
      return {
        state: text(exec!.state),
        events: history.events.map((e) => text(e.data)),
        memo: text(vis!.memo!),
        backlog: backlog.map((t) => text(t.data)),
      };
    }

    test('sealed rows hold no plaintext and read back; rotation, re-encryption and wrong keys', async () => {
      // Rows written before encryption was configured stay readable and are sealed by re-encryption.
      const plainStore = await open(undefined);
      const plainFence = {
        shardId: 1,
        rangeId: (await plainStore.shards.acquireShard(1, 'h', 60_000, T0)).rangeId,
      };
      await plainStore.namespaces.createNamespace({
        id: 'ns-enc',
        name: 'enc',
        state: 1,
        description: '',
        ownerEmail: '',
        retentionMs: 1,
        createdAt: T0,
        updatedAt: T0,
      });
      const legacy = await writeRun(plainStore, plainFence, 'ns-enc');
      await plainStore.close();
      assert.ok(markerCount(await rawBlobs(db.url)) > 0, 'the legacy run is plaintext');

      const store = await open([current]);
      const fence = { shardId: 1, rangeId: (await store.shards.acquireShard(1, 'h', 60_000, T0)).rangeId };
      const { k, queue } = await writeRun(store, fence, 'ns-enc');
      const expected = {
        state: `{"input":"${MARKER}"}`,
        events: [`event-1 ${MARKER}`, `event-2 ${MARKER}`],
        memo: `memo ${MARKER}`,
        backlog: [`backlog ${MARKER}`],
      };
      assert.deepEqual(await readBack(store, k, queue), expected);
      assert.deepEqual(await readBack(store, legacy.k, legacy.queue), expected);
      // An update seals its state and events too; the transfer task list of a read is opened.
      await store.executions.commitShardBatch(fence, [
        update(k, 1, 3, 1, {
          state: bytes(`{"v":2,"x":"${MARKER}"}`),
          events: [{ eventId: 3, data: bytes(`event-3 ${MARKER}`) }],
        }),
      ]);
      const tasks = await store.outbox.readImmediateTasks(1, 'transfer', { afterTaskId: 0, limit: 10 });
      assert.deepEqual(new Set(tasks.map((t) => text(t.data))), new Set([MARKER]));

      const afterWrites = await rawBlobs(db.url);
      const sealedVersions = afterWrites.filter((b) => isSealed(b.blob)).map((b) => sealedKeyVersion(b.blob));
      assert.equal(sealedVersions.length, 7);
      assert.ok(sealedVersions.every((v) => v === 1));
      assert.equal(markerCount(afterWrites), 6, 'only the legacy run (6 blobs) is plaintext');

      // Rotation: version 2 for new rows, version 1 rows still readable; re-encryption rewrites every row.
      const rotated = await rotateNamespaceKey(
        { url: db.url, encryption: { provider: provider(current) } },
        'enc',
      );
      assert.equal(rotated.version, 2);
      assert.equal(rotated.reencrypted, undefined);
      const fresh = await open([current]); // a process that has not cached version 1 as current
      const fence2 = { shardId: 1, rangeId: (await fresh.shards.acquireShard(1, 'h', 60_000, T0)).rangeId };
      const newer = await writeRun(fresh, fence2, 'ns-enc');
      assert.deepEqual(await readBack(fresh, k, queue), {
        ...expected,
        state: `{"v":2,"x":"${MARKER}"}`,
        events: [...expected.events, `event-3 ${MARKER}`],
      });
      const mixed = await rawBlobs(db.url);
      const versions = new Set(
        mixed.filter((b) => b.table !== 'namespace_data_keys').map((b) => sealedKeyVersion(b.blob)),
      );
      assert.deepEqual(versions, new Set([undefined, 1, 2]));

      const again = await rotateNamespaceKey(
        { url: db.url, encryption: { provider: provider(current) } },
        'enc',
        { reencrypt: true, batchSize: 2 },
      );
      assert.equal(again.version, 3);
      assert.equal(again.reencrypted!.rewritten, 19, JSON.stringify(again.reencrypted));
      const rewritten = (await rawBlobs(db.url)).filter((b) => b.table !== 'namespace_data_keys');
      assert.equal(markerCount(rewritten), 0);
      assert.deepEqual(new Set(rewritten.map((b) => sealedKeyVersion(b.blob))), new Set([3]));
      for (const run of [legacy, { k, queue }, newer]) {
        const read = await readBack(fresh, run.k, run.queue);
        assert.equal(read.memo, `memo ${MARKER}`);
        assert.ok(read.events.every((e) => e.includes(MARKER)));
      }
      await store.close();
      await fresh.close();

      // No key, or only another key: FAILED_PRECONDITION; nothing is changed.
      const failedPrecondition = (pattern: RegExp) => (e: unknown) =>
        e instanceof EncryptionKeyUnavailableError &&
        e.code === FAILED_PRECONDITION &&
        pattern.test(e.message);
      const off = await open(undefined);
      await assert.rejects(off.executions.getExecution(k), failedPrecondition(/no key-encryption key/));
      await off.close();
      const wrongKey = await open([kek()]);
      await assert.rejects(
        wrongKey.history.readHistory(k, { pageSize: 10 }),
        failedPrecondition(/does not hold/),
      );
      await wrongKey.close();

      // KEK rotation: the new key first, the old one after it; rotate-key re-wraps every data key, after which the
      // old key can go.
      const next = kek();
      const rewrap = await rotateNamespaceKey(
        { url: db.url, encryption: { provider: provider(next, current) } },
        'enc',
      );
      assert.equal(rewrap.rewrappedKeys, 3);
      const onlyNext = await open([next]);
      assert.equal((await readBack(onlyNext, k, queue)).memo, `memo ${MARKER}`);

      // A changed byte in a stored blob: DATA_LOSS, and the row is left as it was.
      const bad = await corruptOneEvent(db.url);
      const runOfBad = [legacy, { k, queue }, newer].map((r) => r.k);
      let dataLoss = 0;
      for (const run of runOfBad) {
        await onlyNext.history.readHistory(run, { pageSize: 10 }).catch((e: unknown) => {
          assert.ok(e instanceof UndecryptableDataError && e.code === DATA_LOSS, String(e));
          dataLoss++;
        });
      }
      assert.equal(dataLoss, 1);
      assert.ok((await rawBlobs(db.url)).some((b) => Buffer.from(b.blob).equals(Buffer.from(bad))));
      await onlyNext.close();
    });

    test('schedule definitions and memos are sealed; search attributes and the runner state are not', async () => {
      const store = await open([current]);
      try {
        await store.namespaces.createNamespace({
          id: 'ns-sched',
          name: 'sched',
          state: 1,
          description: '',
          ownerEmail: '',
          retentionMs: 1,
          createdAt: T0,
          updatedAt: T0,
        });
        const record = {
          namespaceId: 'ns-sched',
          scheduleId: 's-1',
          schedule: bytes(`definition ${MARKER}`),
          memo: bytes(`memo ${MARKER}`),
          searchAttributes: bytes('attributes'),
          state: bytes('{"n":1}'),
          nextWakeTime: T0,
          createdAt: T0,
          updatedAt: T0,
        };
        await store.schedules.createSchedule(record);
        const sealed = (await rawBlobs(db.url)).filter((b) => b.table === 'schedules');
        assert.equal(sealed.length, 2);
        assert.equal(markerCount(sealed), 0);
        const read = await store.schedules.getSchedule('ns-sched', 's-1');
        assert.equal(text(read!.schedule), `definition ${MARKER}`);
        assert.equal(text(read!.memo!), `memo ${MARKER}`);
        assert.equal(text(read!.state), '{"n":1}');
        const updated = await store.schedules.updateSchedule({ ...record, memo: null }, 1);
        assert.equal(text(updated.schedule), `definition ${MARKER}`);
        assert.equal((await store.schedules.listSchedules('ns-sched', { pageSize: 10 })).items.length, 1);
      } finally {
        await store.close();
      }
    });

    test('a batch operation request is sealed (a signal carries its input); state and counters are not', async () => {
      const store = await open([current]);
      try {
        await store.namespaces.createNamespace({
          id: 'ns-batch',
          name: 'batch',
          state: 1,
          description: '',
          ownerEmail: '',
          retentionMs: 1,
          createdAt: T0,
          updatedAt: T0,
        });
        const record = {
          namespaceId: 'ns-batch',
          jobId: 'job-1',
          operationType: 3,
          request: bytes(`signal input ${MARKER}`),
          state: 1,
          identity: 'me',
          reason: 'r',
          startTime: T0,
          closeTime: null,
          totalCount: 0,
          completeCount: 0,
          failureCount: 0,
          progress: null,
        };
        await store.batchOperations.createBatchOperation(record);
        const sealed = (await rawBlobs(db.url)).filter((b) => b.table === 'batch_operations');
        assert.equal(sealed.length, 1);
        assert.equal(markerCount(sealed), 0);
        const read = await store.batchOperations.getBatchOperation('ns-batch', 'job-1');
        assert.equal(text(read!.request), `signal input ${MARKER}`);
        const { request: _request, version: _version, ...rest } = read!;
        const updated = await store.batchOperations.updateBatchOperation({ ...rest, totalCount: 2 }, 1);
        assert.equal(text(updated.request), `signal input ${MARKER}`);
        assert.equal(updated.totalCount, 2);
        const listed = await store.batchOperations.listBatchOperations('ns-batch', { pageSize: 10 });
        assert.equal(text(listed.items[0]!.request), `signal input ${MARKER}`);
      } finally {
        await store.close();
      }
    });

    if (dialect === 'sqlite') {
      test('a new database file and its WAL and SHM files are created with mode 0600', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'odin-mode-'));
        const file = join(dir, 'fresh.db');
        const oldMask = process.umask(0o022);
        try {
          const s = await openStore({ url: `sqlite:${file}`, migrate: true });
          try {
            for (const f of [file, `${file}-wal`, `${file}-shm`]) {
              assert.equal((statSync(f).mode & 0o777).toString(8), '600', f);
            }
          } finally {
            await s.close();
          }
        } finally {
          process.umask(oldMask);
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}
