// OperatorService DeleteNamespace as Temporal does it: the namespace is renamed and marked deleted at once (its name
// is free, calls naming it get NOT_FOUND), then a system worker terminates its running workflows, deletes every run
// with its history and visibility, its schedules, and finally the namespace row; a restart in between loses nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { createDatabaseIfMissing, dropDatabase, startDevServer } from '@odin/server';
import { MYSQL_ADMIN_URL, PG_ADMIN_URL } from '@odin/test-databases';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { compatSuite, databasesUnderTest, installRuntime } from './harness.js';
import { waitFor } from './polling.js';
import { signalCollector } from './workflows/signals.js';

const eventually = <T>(label: string, probe: () => Promise<T | undefined>) => waitFor(label, probe, 60_000);

const NOT_FOUND = 5;
const DAY = msToTs('1 day');

const isNotFound = (err: unknown) => (err as { code?: number }).code === NOT_FOUND;

/**
 * A namespace with two running workflows, one terminated and a schedule; returns its id and the workflow ids.
 * The workflows' queue has no worker: they stay running until the namespace's deletion ends them.
 */
async function populate(client: Client, namespace: string): Promise<{ id: string }> {
  await client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: DAY });
  const id = (await client.workflowService.describeNamespace({ namespace })).namespaceInfo?.id ?? '';
  assert.ok(id);
  const inside = new Client({ connection: client.connection, namespace });
  const taskQueue = `${namespace}-nobody`;
  for (const workflowId of ['a', 'b', 'c'])
    await inside.workflow.start(signalCollector, { taskQueue, workflowId, args: [1] });
  await inside.workflow.getHandle('c').terminate('closed before the deletion');
  await inside.schedule.create({
    scheduleId: 'sched',
    spec: { intervals: [{ every: '1d' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'greeting',
      args: ['x'],
      taskQueue,
      workflowId: 'from-sched',
    },
    state: { paused: true },
  });
  return { id };
}

/**
 * Waits until the namespace row is gone (calls get NOT_FOUND for a deleted namespace from the start: only the
 * database tells), then checks nothing of it is left.
 */
async function assertReclaimed(store: PersistenceStore, id: string): Promise<void> {
  await eventually('the namespace row to go', async () =>
    (await store.namespaces.getNamespaceById(id)) === null ? true : undefined,
  );
  assert.equal(await store.retention.countNamespaceExecutions(id), 0);
  assert.deepEqual(await store.retention.listOpenExecutions({ namespaceId: id, limit: 10 }), []);
  assert.equal(await store.schedules.getSchedule(id, 'sched'), null);
}

compatSuite('scenario 33: namespace deletion', (env) => {
  test('the name is free at once; the namespace’s runs are terminated and deleted, then the namespace', async () => {
    const e = env();
    const namespace = `del-${e.taskQueue('ns').replace(/[^A-Za-z0-9._-]/g, '-')}`;
    const { id } = await populate(e.client, namespace);
    const inside = new Client({ connection: e.client.connection, namespace });
    assert.equal((await inside.workflow.getHandle('a').describe()).status.name, 'RUNNING');

    const { deletedNamespace } = await e.client.connection.operatorService.deleteNamespace({ namespace });
    assert.equal(deletedNamespace, `${namespace}-deleted-${id.slice(0, 5)}`);
    await assert.rejects(e.client.workflowService.describeNamespace({ namespace }), isNotFound);
    // The name can be taken again at once; the new namespace has none of the old one's runs.
    await e.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: DAY });
    const store = await openStore({ url: e.dbUrl, migrate: false });
    try {
      await assertReclaimed(store, id);
      const again = await e.client.workflowService.describeNamespace({ namespace });
      assert.notEqual(again.namespaceInfo?.id, id);
      await assert.rejects(inside.workflow.getHandle('a').describe(), WorkflowNotFoundError);
    } finally {
      await store.close();
    }
  });
});

for (const db of databasesUnderTest()) {
  describe(`scenario 33: a namespace deletion survives a server restart [${db}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-nsdel-'));
    const name = `odin_nsdel_${process.pid}_${Date.now().toString(36)}`;
    const dbUrl =
      db === 'sqlite'
        ? `sqlite:${join(dir, 'odin.db')}`
        : (() => {
            const url = new URL(db === 'postgres' ? PG_ADMIN_URL : MYSQL_ADMIN_URL);
            url.pathname = `/${name}`;
            return url.toString();
          })();

    after(async () => {
      await dropDatabase(dbUrl).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('a server stopped right after DeleteNamespace is finished by the next one', async () => {
      installRuntime();
      await createDatabaseIfMissing(dbUrl);
      let server = await startDevServer({ port: 0, dbUrl, shardCount: 8 });
      let connection = await Connection.connect({ address: server.address });
      const { id } = await populate(new Client({ connection, namespace: 'default' }), 'doomed');
      await connection.operatorService.deleteNamespace({ namespace: 'doomed' });
      await connection.close();
      await server.stop();

      server = await startDevServer({ port: 0, dbUrl, shardCount: 8 });
      connection = await Connection.connect({ address: server.address });
      const store = await openStore({ url: dbUrl, migrate: false });
      try {
        await assertReclaimed(store, id);
      } finally {
        await store.close();
        await connection.close();
        await server.stop();
      }
    });
  });
}
