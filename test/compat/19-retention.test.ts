import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { msToTs } from '@temporalio/common/lib/time.js';
import { createDatabaseIfMissing, type DevServer, dropDatabase, startDevServer } from '@odin/server';
import * as activities from './activities.js';
import { databasesUnderTest, databaseUrl, installRuntime, workflowBundle } from './harness.js';

const SHORT = 'retention-short';

async function listedUntilGone(client: Client, workflowId: string): Promise<number> {
  const end = Date.now() + 20_000;
  for (;;) {
    const n = await listed(client, workflowId);
    if (n === 0 || Date.now() > end) return n;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function listed(client: Client, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n++;
  return n;
}

for (const db of databasesUnderTest()) {
  describe(`item 8: retention cleanup worker [${db}]`, () => {
    let dir: string;
    let dbUrl: string;
    let server: DevServer;
    let connection: Connection;
    let native: NativeConnection;

    before(async () => {
      installRuntime();
      dir = mkdtempSync(join(tmpdir(), 'odin-retention-'));
      dbUrl = databaseUrl(db, `odin_retention_${process.pid}_${Date.now().toString(36)}`, dir);
      await createDatabaseIfMissing(dbUrl);
      server = await startDevServer({
        port: 0,
        dbUrl,
        logLevel: 'warn',
        shardCount: 4,
        retentionSweepIntervalMs: 250,
      });
      connection = await Connection.connect({ address: server.address });
      native = await NativeConnection.connect({ address: server.address });
      await connection.workflowService.registerNamespace({
        namespace: SHORT,
        workflowExecutionRetentionPeriod: msToTs(1_000),
      });
    });

    after(async () => {
      await native?.close().catch(() => undefined);
      await connection?.close().catch(() => undefined);
      await server?.stop();
      await dropDatabase(dbUrl).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('a closed workflow disappears from list and the store (state, visibility) once its namespace retention has passed', async () => {
      const short = new Client({ connection, namespace: SHORT });
      const long = new Client({ connection, namespace: 'default' });
      const taskQueue = `retention-${db}`;
      const run = async (namespace: string, client: Client, fn: () => Promise<void>) => {
        const worker = await Worker.create({
          connection: native,
          namespace,
          taskQueue,
          workflowBundle: await workflowBundle(),
          activities,
          shutdownGraceTime: '1 second',
        });
        await worker.runUntil(fn());
        return client;
      };
      await run(SHORT, short, async () => {
        await short.workflow.execute('greeting', { taskQueue, workflowId: 'short-closed', args: ['r'] });
        await short.workflow.start('pokeTarget', { taskQueue, workflowId: 'short-open' });
      });
      await run('default', long, async () => {
        await long.workflow.execute('greeting', { taskQueue, workflowId: 'default-closed', args: ['r'] });
      });

      const runId = (await short.workflow.getHandle('short-closed').describe()).runId;
      assert.equal(await listedUntilGone(short, 'short-closed'), 0);
      const ns = await server.ctx.store.namespaces.getNamespaceByName(SHORT);
      assert.ok(ns);
      const key = { namespaceId: ns.id, workflowId: 'short-closed', runId };
      assert.equal(await server.ctx.store.executions.getExecution(key), null);
      assert.equal(await server.ctx.store.visibility.getVisibility(ns.id, runId), null);
      await assert.rejects(server.ctx.store.history.readHistory(key, { pageSize: 10 }));
      // Open runs and runs of a namespace with the default 30-day retention stay.
      assert.equal((await short.workflow.getHandle('short-open').describe()).status.name, 'RUNNING');
      assert.equal((await long.workflow.getHandle('default-closed').describe()).status.name, 'COMPLETED');
      assert.equal(await listed(long, 'default-closed'), 1);
      await short.workflow.getHandle('short-open').terminate('test done');
    });
  });
}
