// mTLS with the official Temporal SDK: its client (Connection) and worker (NativeConnection, the Rust core) on a
// dev server that requires client certificates; a plaintext client refused; and a split cluster (every role its
// own process of the built CLI) whose roles talk mutual TLS among themselves, running a workflow end to end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDatabaseIfMissing, type DevServer, dropDatabase, startDevServer } from '@odin/server';
import { databaseOn, PG_ADMIN_URL } from '@odin/test-databases';
import { TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import * as activities from './activities.js';
import { type Cluster, startCluster } from './cluster.js';
import { installRuntime, topologiesUnderTest, workflowBundle } from './harness.js';

const FRONTEND_NAME = 'odin-frontend';
const INTERNAL_NAME = 'odin-internal.compat.test';
const topologies = topologiesUnderTest();

let dir: string;
let ca: TestCa;
let serverFiles: { certFile: string; keyFile: string };
let clientCaFile: string;
let tls: {
  serverNameOverride: string;
  serverRootCACertificate: Buffer;
  clientCertPair: { crt: Buffer; key: Buffer };
};

before(async () => {
  installRuntime();
  dir = mkdtempSync(join(tmpdir(), 'odin-compat-tls-'));
  ca = await TestCa.create('Compat CA');
  serverFiles = writeKeyPair(dir, 'frontend', await ca.issue({ dnsNames: [FRONTEND_NAME], usage: 'server' }));
  clientCaFile = join(dir, 'client-ca.crt');
  writeAtomically(clientCaFile, ca.cert);
  const worker = await ca.issue({ commonName: 'compat-worker', usage: 'client' });
  tls = {
    serverNameOverride: FRONTEND_NAME,
    serverRootCACertificate: Buffer.from(ca.cert),
    clientCertPair: { crt: Buffer.from(worker.cert), key: Buffer.from(worker.key) },
  };
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `greeting` through the server at `address` with the official client and worker, both on mTLS. */
async function greetOver(address: string, taskQueue: string): Promise<string> {
  const connection = await Connection.connect({ address, tls });
  const native = await NativeConnection.connect({ address, tls });
  try {
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      shutdownGraceTime: '1 second',
    });
    const client = new Client({ connection, namespace: 'default' });
    return await worker.runUntil(
      client.workflow.execute('greeting', { taskQueue, workflowId: `tls-${taskQueue}`, args: ['TLS'] }),
    );
  } finally {
    await native.close();
    await connection.close();
  }
}

describe('the official SDK on a dev server with mutual TLS', { skip: !topologies.includes('sqlite') }, () => {
  let server: DevServer;
  before(async () => {
    server = await startDevServer({
      port: 0,
      dbUrl: `sqlite:${join(dir, 'dev.db')}`,
      env: {},
      tls: { certFile: serverFiles.certFile, keyFile: serverFiles.keyFile, clientCaFile },
    });
  });
  after(() => server?.stop());

  test('client and worker with certificates run a workflow', async () => {
    assert.equal(await greetOver(server.address, 'tls-dev'), 'Hello, TLS!');
  });

  test('a plaintext client and a client without a certificate are refused', async () => {
    await assert.rejects(Connection.connect({ address: server.address, connectTimeout: '3s' }));
    await assert.rejects(
      Connection.connect({
        address: server.address,
        connectTimeout: '3s',
        tls: { serverNameOverride: FRONTEND_NAME, serverRootCACertificate: tls.serverRootCACertificate },
      }),
    );
  });
});

describe('a split cluster with mutual TLS between its roles', {
  skip: !topologies.some((t) => t === 'postgres' || t === 'cluster'),
}, () => {
  let cluster: Cluster | undefined;
  let dbUrl: string;
  before(async () => {
    const internal = writeKeyPair(dir, 'internal', await ca.issue({ dnsNames: [INTERNAL_NAME] }));
    const internalCa = join(dir, 'internal-ca.crt');
    writeAtomically(internalCa, ca.cert);
    dbUrl = databaseOn(PG_ADMIN_URL, `odin_compat_tls_${process.pid}_${Date.now().toString(36)}`);
    await createDatabaseIfMissing(dbUrl);
    cluster = await startCluster(
      dbUrl,
      { history: 2, matching: 1, shardCount: 16, membershipTtlMs: 3_000 },
      {
        HUGO_ORCHESTRATOR_TLS_CERT: serverFiles.certFile,
        HUGO_ORCHESTRATOR_TLS_KEY: serverFiles.keyFile,
        HUGO_ORCHESTRATOR_TLS_CLIENT_CA: clientCaFile,
        HUGO_ORCHESTRATOR_INTERNAL_TLS_CERT: internal.certFile,
        HUGO_ORCHESTRATOR_INTERNAL_TLS_KEY: internal.keyFile,
        HUGO_ORCHESTRATOR_INTERNAL_TLS_CA: internalCa,
        HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME: INTERNAL_NAME,
      },
    );
  });
  after(async () => {
    await cluster?.stop();
    await dropDatabase(dbUrl).catch(() => undefined);
  });

  test('a workflow runs from the SDK through frontend, history and matching processes', async () => {
    assert.ok(cluster);
    assert.equal(await greetOver(cluster.address, 'tls-cluster'), 'Hello, TLS!');
    for (const [name, host] of cluster.hosts) {
      assert.doesNotMatch(host.output(), /internal peer refused|UNAUTHENTICATED/, `${name} refused a peer`);
    }
  });
});
