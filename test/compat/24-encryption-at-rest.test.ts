// Scenario 24: encryption at rest (docs/security.md, "Encryption at rest"). Workflows with a marker string in their
// inputs, signals, memo, activity results and timers run against a server with a key-encryption key; the raw
// database (every sealed column, and on SQLite the file and its WAL byte for byte) holds no marker, while results,
// histories, memos and lists read back through the API. Then rotate-key with and without --reencrypt, a server
// without the key (FAILED_PRECONDITION, nothing changed) and the right key again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import {
  isSealed,
  openDatabase,
  parseConnectionUrl,
  SEALED_BLOB_COLUMNS,
  sealedKeyVersion,
} from '@odin/persistence';
import { createDatabaseIfMissing, type DevServer, dropDatabase, startDevServer } from '@odin/server';
import { runCommand } from 'hugo-orchestrator';
import * as activities from './activities.js';
import { databasesUnderTest, databaseUrl, installRuntime, workflowBundle } from './harness.js';

const MARKER = 'SECRET-PAYLOAD-c0ffee-9d1e';
const FAILED_PRECONDITION = 9;

/** Every blob of every sealed column (plus the wrapped data keys), as stored. */
async function storedBlobs(url: string): Promise<{ table: string; blob: Buffer }[]> {
  const { db } = await openDatabase(parseConnectionUrl(url), { poolSize: 1 });
  try {
    const out: { table: string; blob: Buffer }[] = [];
    const columns = [...SEALED_BLOB_COLUMNS, { table: 'namespace_data_keys', column: 'wrapped_key' }];
    for (const { table, column } of columns) {
      // The table and column names vary; the typed builder is told one shape for all of them.
      const rows = await db
        .selectFrom(table as 'history_events')
        .select(column as 'data')
        .execute();
      for (const row of rows) if (row.data != null) out.push({ table, blob: Buffer.from(row.data) });
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/** The text of every byte field of a decoded proto (payload data), joined. */
function bytesIn(value: unknown, out: string[] = []): string {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) for (const v of value) bytesIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) bytesIn(v, out);
  return out.join('\n');
}

function grpcCode(error: unknown): number | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 6; i++) {
    if (typeof e.code === 'number') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

for (const kind of databasesUnderTest()) {
  describe(`scenario 24: encryption at rest [${kind}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-compat-enc-'));
    const dbUrl = databaseUrl(kind, `odin_compat_enc_${process.pid}_${Date.now().toString(36)}`, dir);
    const keyFile = join(dir, 'kek');
    const keyEnv = {
      HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE: keyFile,
      HUGO_ORCHESTRATOR_ENCRYPTION_KEY_REFRESH_INTERVAL: '1s',
    };
    let server: DevServer | undefined;
    const runs: { workflowId: string; result: unknown }[] = [];

    const start = (env: Record<string, string>) =>
      startDevServer({ port: 0, dbUrl, logLevel: 'warn', shardCount: 4, env });

    async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
      const connection = await Connection.connect({ address: server!.address });
      try {
        return await fn(new Client({ connection, namespace: 'default' }));
      } finally {
        await connection.close();
      }
    }

    /** Runs the marker workflows on a fresh task queue and records their results. */
    async function runMarkedWorkflows(label: string): Promise<void> {
      installRuntime();
      const taskQueue = `enc-${label}`;
      const native = await NativeConnection.connect({ address: server!.address });
      const worker = await Worker.create({
        connection: native,
        namespace: 'default',
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities,
        shutdownGraceTime: '1 second',
      });
      const running = worker.run();
      try {
        await withClient(async (client) => {
          const greeting = await client.workflow.execute('greeting', {
            taskQueue,
            workflowId: `enc-greeting-${label}`,
            args: [MARKER],
            memo: { note: `memo ${MARKER}` },
          });
          assert.equal(greeting, `Hello, ${MARKER}!`);
          runs.push({ workflowId: `enc-greeting-${label}`, result: greeting });
          const echo = await client.workflow.execute('sleepThenEcho', {
            taskQueue,
            workflowId: `enc-echo-${label}`,
            args: [MARKER, 300],
          });
          assert.equal(echo, `${MARKER}-done`);
          runs.push({ workflowId: `enc-echo-${label}`, result: echo });
          const collector = await client.workflow.start('signalCollector', {
            taskQueue,
            workflowId: `enc-signals-${label}`,
            args: [2],
          });
          await collector.signal('add', `first ${MARKER}`);
          await collector.signal('add', `second ${MARKER}`);
          const items = await collector.result();
          assert.deepEqual(items, [`first ${MARKER}`, `second ${MARKER}`]);
          runs.push({ workflowId: `enc-signals-${label}`, result: items });
        });
      } finally {
        worker.shutdown();
        await running;
        await native.close();
      }
    }

    /** Every recorded run, read back through the API: result, history payloads and the memo. */
    async function readEverythingBack(): Promise<void> {
      await withClient(async (client) => {
        for (const run of runs) {
          const handle = client.workflow.getHandle(run.workflowId);
          assert.deepEqual(await handle.result(), run.result);
          const history = await handle.fetchHistory();
          assert.ok(bytesIn(history).includes(MARKER), `history of ${run.workflowId} shows its payloads`);
        }
        const described = await client.workflow.getHandle(runs[0]!.workflowId).describe();
        assert.deepEqual(described.memo, { note: `memo ${MARKER}` });
        const listed: string[] = [];
        for await (const info of client.workflow.list({ query: `WorkflowId = '${runs[0]!.workflowId}'` })) {
          listed.push(String((info.memo as { note?: string } | undefined)?.note));
        }
        assert.deepEqual(listed, [`memo ${MARKER}`]);
      });
    }

    async function assertNoPlaintext(): Promise<Set<number | undefined>> {
      const blobs = await storedBlobs(dbUrl);
      assert.ok(blobs.length > 20, `rows were written (${blobs.length})`);
      const plain = blobs.filter((b) => b.blob.includes(MARKER));
      assert.deepEqual(plain, [], 'no stored blob holds the marker');
      const payloadBlobs = blobs.filter((b) => b.table !== 'namespace_data_keys');
      const unsealed = payloadBlobs.filter((b) => !isSealed(b.blob));
      assert.deepEqual(unsealed, [], 'every payload blob is sealed');
      if (kind === 'sqlite') {
        const file = parseConnectionUrl(dbUrl) as { filename: string };
        for (const suffix of ['', '-wal']) {
          const path = `${file.filename}${suffix}`;
          if (existsSync(path)) assert.ok(!readFileSync(path).includes(MARKER), `${path} holds no marker`);
        }
      }
      return new Set(payloadBlobs.map((b) => sealedKeyVersion(b.blob)));
    }

    before(async () => {
      writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      await createDatabaseIfMissing(dbUrl);
      server = await start(keyEnv);
    });

    after(async () => {
      await server?.stop();
      await dropDatabase(dbUrl).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('payloads are sealed in the database and read back through the API', async () => {
      await runMarkedWorkflows('a');
      await readEverythingBack();
      assert.deepEqual(await assertNoPlaintext(), new Set([1]));
    });

    test('rotate-key: old rows stay readable; --reencrypt rewrites them under the newest version', async () => {
      const cliEnv = { HUGO_ORCHESTRATOR_DB_CONNECTION: dbUrl, ...keyEnv };
      const rotated = await runCommand(
        ['namespace', 'rotate-key', '--name', 'default', '-o', 'json'],
        cliEnv,
      );
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.equal(JSON.parse(rotated.stdout).version, 2);
      // The server looks for a newer version every second and seals new rows with version 2 from then on (rows it
      // writes before are sealed with version 1: both read back).
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await runMarkedWorkflows('b');
      await readEverythingBack();
      const versions = await assertNoPlaintext();
      assert.ok(versions.has(1) && [...versions].every((v) => v === 1 || v === 2), [...versions].join());

      const again = await runCommand(
        ['namespace', 'rotate-key', '--name', 'default', '--reencrypt', '-o', 'json'],
        cliEnv,
      );
      assert.equal(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout);
      assert.equal(report.version, 3);
      assert.ok(report.reencrypted.rewritten > 0, again.stdout);
      assert.deepEqual(await assertNoPlaintext(), new Set([3]));
      await readEverythingBack();
    });

    test('without the key the server answers FAILED_PRECONDITION and changes nothing; with it all reads back', async () => {
      await server!.stop();
      server = await start({});
      const before = await storedBlobs(dbUrl);
      await withClient(async (client) => {
        const handle = client.workflow.getHandle(runs[0]!.workflowId);
        await assert.rejects(handle.fetchHistory(), (e: unknown) => grpcCode(e) === FAILED_PRECONDITION);
        await assert.rejects(handle.describe(), (e: unknown) => grpcCode(e) === FAILED_PRECONDITION);
      });
      const unchanged = await storedBlobs(dbUrl);
      assert.deepEqual(
        unchanged.map((b) => b.blob.toString('hex')).sort(),
        before.map((b) => b.blob.toString('hex')).sort(),
      );
      await server!.stop();
      server = await start(keyEnv);
      await readEverythingBack();
    });
  });
}
