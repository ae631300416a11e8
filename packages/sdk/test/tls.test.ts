// Our SDK's client and worker over mutual TLS to a dev server that requires client certificates.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DevServer, startDevServer } from '@odin/server';
import { type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import { Connection, NamespaceClient, ServiceCallError, WorkflowClient } from '../src/client/index.js';
import { Worker } from '../src/worker/index.js';
import * as basic from './workflows/basic.js';

const LIMIT = { timeout: 60_000 };

let dir: string;
let ca: TestCa;
let clientPair: KeyPair;
let server: DevServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-sdk-tls-'));
  ca = await TestCa.create('SDK Test CA');
  clientPair = await ca.issue({ commonName: 'sdk-worker', usage: 'client' });
  const files = writeKeyPair(dir, 'server', await ca.issue({ dnsNames: ['odin.test'], usage: 'server' }));
  const clientCaFile = join(dir, 'client-ca.crt');
  writeAtomically(clientCaFile, ca.cert);
  server = await startDevServer({
    port: 0,
    env: {},
    tls: { certFile: files.certFile, keyFile: files.keyFile, clientCaFile },
  });
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('@odin/sdk over mutual TLS', LIMIT, () => {
  test('a worker and a client with certificates run a workflow', async () => {
    const tls = { ca: ca.cert, cert: clientPair.cert, key: clientPair.key, serverName: 'odin.test' };
    const connection = Connection.connect({ address: server.address, tls });
    const worker = await Worker.create({
      connection,
      taskQueue: 'tls',
      workflows: basic,
      activities: { greet: async (name: string) => `Hello, ${name}!` },
      shutdownGraceMs: 1000,
    });
    const running = worker.run();
    try {
      const client = new WorkflowClient({ connection });
      const handle = await client.start(basic.greeting, {
        workflowId: 'tls-greeting',
        taskQueue: 'tls',
        args: ['TLS'],
      });
      assert.equal(await handle.result(), 'Hello, TLS!');
    } finally {
      worker.shutdown();
      await running;
      connection.close();
    }
  });

  test('without a client certificate, or in plaintext, the connection is refused', async () => {
    for (const tls of [{ ca: ca.cert, serverName: 'odin.test' }, undefined]) {
      const connection = Connection.connect({
        address: server.address,
        maxAttempts: 1,
        ...(tls ? { tls } : {}),
      });
      try {
        await assert.rejects(new NamespaceClient(connection).describe('default'), (error: unknown) => {
          assert.ok(error instanceof ServiceCallError, String(error));
          assert.equal(error.codeName, 'UNAVAILABLE');
          return true;
        });
      } finally {
        connection.close();
      }
    }
  });
});
