import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ServiceError } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore, type PersistenceStore, type ShardLease } from '@odin/persistence';
import { silentLogger } from '@odin/runtime';
import { NamespaceReclaimer } from '../src/namespaces/reclaimer.js';
import { createNamespace, seedRun } from './seed.js';

const DAY = 24 * 60 * 60 * 1000;
const DELETED = 3;
let dir: string;
let store: PersistenceStore;
let lease: ShardLease;
const clock = new VirtualClock(Date.UTC(2026, 0, 1));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-reclaim-'));
  store = await openStore({ url: `sqlite:${join(dir, 'db.sqlite')}`, migrate: true, clock });
  lease = await store.shards.acquireShard(1, 'host-test', 3_600_000, clock.now());
});

after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function markDeleted(id: string): Promise<void> {
  const record = await store.namespaces.getNamespaceById(id);
  assert.ok(record);
  await store.namespaces.updateNamespace({ ...record, state: DELETED }, record.version);
}

test('a deleted namespace: open runs go through history, closed ones after the grace, then the row', async () => {
  const t0 = clock.now();
  const doomed = await createNamespace(store, 'doomed', DAY, t0);
  const kept = await createNamespace(store, 'kept', DAY, t0);
  await store.searchAttributes.addSearchAttributes(doomed, [{ name: 'Owner', type: 'Keyword' }], t0);
  await seedRun(store, lease, { namespaceId: doomed, workflowId: 'open', runId: 'open-run' }, t0, null);
  await seedRun(store, lease, { namespaceId: doomed, workflowId: 'closed', runId: 'closed-run' }, t0, t0);
  await seedRun(store, lease, { namespaceId: kept, workflowId: 'open', runId: 'kept-run' }, t0, null);
  await markDeleted(doomed);

  // What history does with a delete of a running run: terminates it now, deletes it a little later.
  const asked: string[] = [];
  let historyDeletes = false;
  const reclaimer = new NamespaceReclaimer({
    store,
    clock,
    logger: silentLogger(),
    closeGraceMs: 10_000,
    deleteExecution: async (namespace, execution) => {
      asked.push(`${namespace.name}/${execution.workflowId}`);
      if (!historyDeletes) return;
      await store.executions.deleteWorkflowExecution(lease, { namespaceId: namespace.id, ...execution });
      throw ServiceError.notFound('gone');
    },
  });
  const signal = new AbortController().signal;

  // First pass: the open run is handed to history, the closed one deleted (closed long enough), the row stays.
  await clock.advance(20_000);
  assert.deepEqual(await reclaimer.reclaimOnce(signal), []);
  assert.deepEqual(asked, ['doomed/open']);
  assert.equal(
    await store.executions.getExecution({ namespaceId: doomed, workflowId: 'closed', runId: 'closed-run' }),
    null,
  );
  assert.ok(await store.namespaces.getNamespaceById(doomed));

  // Once history deleted it (NOT_FOUND to a repeated delete counts as done), the next pass removes the row.
  historyDeletes = true;
  assert.deepEqual(await reclaimer.reclaimOnce(signal), []);
  assert.deepEqual(await reclaimer.reclaimOnce(signal), ['doomed']);
  assert.equal(await store.namespaces.getNamespaceById(doomed), null);
  assert.deepEqual(await store.searchAttributes.listSearchAttributes(doomed), []);
  assert.equal(await store.retention.countNamespaceExecutions(doomed), 0);

  // A namespace that is not deleted is never touched.
  assert.ok(await store.namespaces.getNamespaceById(kept));
  assert.ok(
    await store.executions.getExecution({ namespaceId: kept, workflowId: 'open', runId: 'kept-run' }),
  );
  assert.deepEqual(asked, ['doomed/open', 'doomed/open']);
});
