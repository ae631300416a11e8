// TLS through the server assembly: the frontend's certificate and client CA bundle rotated on disk while clients
// call without pause (no call fails, new connections get the new certificate), and a split cluster in one process
// carrying a workflow task over mutual TLS on every hop, where a member whose internal certificate lacks the
// cluster's name is refused.
import assert from 'node:assert/strict';
import { randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { type ChannelCredentials, credentials, type ServiceError as GrpcError } from '@grpc/grpc-js';
import { TemporalGrpcClient } from '@odin/frontend';
import { loadConfig, type OdinConfigInput } from '@odin/runtime';
import { bundle, type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import { type RunningServer, startServer } from '../src/index.js';

const LIMIT = { timeout: 120_000 };
const FRONTEND_NAME = 'odin-frontend';
const INTERNAL_NAME = 'odin.internal.test';

let dir: string;
let ca: TestCa;
let nextCa: TestCa;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-server-tls-'));
  [ca, nextCa] = await Promise.all([TestCa.create('Odin CA'), TestCa.create('Next Odin CA')]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(overrides: Partial<OdinConfigInput> = {}) {
  return loadConfig(
    {},
    {
      frontendPort: 0,
      historyPort: 0,
      matchingPort: 0,
      logLevel: 'silent',
      shardCount: 4,
      membershipHeartbeatIntervalMs: 100,
      membershipTtlMs: 2_000,
      ...overrides,
    },
  );
}

function clientCredentials(trusted: string, pair?: KeyPair): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(trusted),
    pair ? Buffer.from(pair.key) : null,
    pair ? Buffer.from(pair.cert) : null,
  );
}

function client(address: string, creds: ChannelCredentials): TemporalGrpcClient {
  return new TemporalGrpcClient(address, undefined, {
    credentials: creds,
    channelOptions: { 'grpc.ssl_target_name_override': FRONTEND_NAME },
  });
}

const describeDefault = (c: TemporalGrpcClient) =>
  c.call('DescribeNamespace', { namespace: 'default' }, { deadline: new Date(Date.now() + 5_000) });

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The certificate a brand-new TLS connection to `port` is served (its SHA-256 fingerprint). */
function servedFingerprint(port: number, trusted: string, pair: KeyPair): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: '127.0.0.1',
        port,
        ca: trusted,
        cert: pair.cert,
        key: pair.key,
        servername: FRONTEND_NAME,
        ALPNProtocols: ['h2'],
      },
      () => {
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        socket.destroy();
        resolve(fingerprint);
      },
    );
    socket.once('error', reject);
  });
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

describe('rotating the frontend certificate and client CA under load', LIMIT, () => {
  test('no call fails; new connections see the new certificate; the old CA is refused once it left', async () => {
    const tlsDir = join(dir, 'frontend');
    const first = await ca.issue({ dnsNames: [FRONTEND_NAME], usage: 'server' });
    const files = writeKeyPair(tlsDir, 'tls', first);
    const clientCaFile = join(tlsDir, 'client-ca.crt');
    writeAtomically(clientCaFile, ca.cert);
    const server = await startServer({
      config: config({
        tlsCert: files.certFile,
        tlsKey: files.keyFile,
        tlsClientCa: clientCaFile,
        tlsRefreshIntervalMs: 50,
      }),
      dbUrl: `sqlite:${join(dir, 'rotation.db')}`,
      migrate: true,
    });
    const address = server.address ?? '';
    const port = server.port ?? 0;
    // Clients trust both CAs from the start: a CA rotation distributes the new CA to clients first.
    const trusted = bundle(ca.cert, nextCa.cert);
    const oldClientCert = await ca.issue({ commonName: 'old-client', usage: 'client' });
    const newClientCert = await nextCa.issue({ commonName: 'new-client', usage: 'client' });

    const failures: unknown[] = [];
    let calls = 0;
    let running = true;
    const steady = Array.from({ length: 4 }, () =>
      client(address, clientCredentials(trusted, oldClientCert)),
    );
    const loops = steady.map(async (c) => {
      while (running) {
        try {
          await describeDefault(c);
          calls++;
        } catch (error) {
          failures.push(error);
        }
      }
    });
    // A client that opens a new connection for every call, with whichever certificate the CAs accept now.
    let churnCert = oldClientCert;
    const churn = (async () => {
      while (running) {
        const c = client(address, clientCredentials(trusted, churnCert));
        try {
          await describeDefault(c);
          calls++;
        } catch (error) {
          failures.push(error);
        } finally {
          c.close();
        }
      }
    })();
    const progress = async () => {
      const before = calls;
      await until('calls to go on', async () => calls >= before + 20);
    };

    try {
      await progress();
      const firstFingerprint = await servedFingerprint(port, trusted, oldClientCert);
      assert.equal(firstFingerprint, fingerprintOf(first.cert));

      // 1. The next CA joins the client CA bundle (the overlap): both generations of client certificates work.
      writeAtomically(clientCaFile, bundle(ca.cert, nextCa.cert));
      await until('the new client CA to be accepted', async () => {
        const probe = client(address, clientCredentials(trusted, newClientCert));
        try {
          await describeDefault(probe);
          return true;
        } catch {
          return false;
        } finally {
          probe.close();
        }
      });
      churnCert = newClientCert;
      await progress();

      // 2. The server certificate is reissued by the next CA.
      const second = await nextCa.issue({ dnsNames: [FRONTEND_NAME], usage: 'server' });
      writeKeyPair(tlsDir, 'tls', second);
      await until(
        'a new connection to be served the new certificate',
        async () => (await servedFingerprint(port, trusted, newClientCert)) === fingerprintOf(second.cert),
      );
      await progress();

      // 3. The old CA leaves the bundle: new connections with old client certificates are refused, while the
      //    connections opened before keep working.
      writeAtomically(clientCaFile, nextCa.cert);
      await until('the old client CA to be refused', async () => {
        const probe = client(address, clientCredentials(trusted, oldClientCert));
        try {
          await describeDefault(probe);
          return false;
        } catch (error) {
          return (error as GrpcError).code === 14;
        } finally {
          probe.close();
        }
      });
      await progress();
    } finally {
      running = false;
      await Promise.all([...loops, churn]);
      for (const c of steady) c.close();
      await server.stop();
    }
    assert.deepEqual(failures, [], `${failures.length} of ${calls + failures.length} calls failed`);
    assert.ok(calls >= 100, `only ${calls} calls ran during the rotation`);
  });
});

describe('a split cluster over mutual TLS', LIMIT, () => {
  test('frontend → history → matching over internal mTLS; a member without the internal name is refused', async () => {
    const dbUrl = `sqlite:${join(dir, 'cluster.db')}`;
    const frontendFiles = writeKeyPair(
      join(dir, 'cluster-frontend'),
      'tls',
      await ca.issue({ dnsNames: [FRONTEND_NAME], usage: 'server' }),
    );
    const clientCaFile = join(dir, 'cluster-frontend', 'client-ca.crt');
    writeAtomically(clientCaFile, ca.cert);
    const internal = async (name: string, dnsNames: string[]) => {
      const files = writeKeyPair(join(dir, `internal-${name}`), 'tls', await ca.issue({ dnsNames }));
      const caFile = join(dir, `internal-${name}`, 'ca.crt');
      writeAtomically(caFile, ca.cert);
      return {
        internalTlsCert: files.certFile,
        internalTlsKey: files.keyFile,
        internalTlsCa: caFile,
        internalTlsServerName: INTERNAL_NAME,
      };
    };
    const roles = await startServer({
      config: config({ hostId: 'roles', ...(await internal('roles', [INTERNAL_NAME])) }),
      dbUrl,
      migrate: true,
      services: new Set(['history', 'matching'] as const),
    });
    const started: RunningServer[] = [roles];
    const worker = await ca.issue({ commonName: 'worker', usage: 'client' });
    try {
      const front = await startServer({
        config: config({
          hostId: 'front',
          tlsCert: frontendFiles.certFile,
          tlsKey: frontendFiles.keyFile,
          tlsClientCa: clientCaFile,
          ...(await internal('front', [INTERNAL_NAME])),
        }),
        dbUrl,
        services: new Set(['frontend', 'worker'] as const),
      });
      started.push(front);
      const c = client(front.address ?? '', clientCredentials(ca.cert, worker));
      try {
        const taskQueue = `q-${randomUUID()}`;
        const workflowId = `wf-${randomUUID()}`;
        let runId = '';
        await until('a start through the cluster', async () => {
          try {
            const response = await c.call(
              'StartWorkflowExecution',
              {
                namespace: 'default',
                workflowId,
                workflowType: { name: 'OverTls' },
                taskQueue: { name: taskQueue },
                requestId: `start-${workflowId}`,
                identity: 'tls-test',
              },
              { deadline: new Date(Date.now() + 5_000) },
            );
            runId = String(response.runId);
            return true;
          } catch {
            return false;
          }
        });
        assert.match(runId, /^[0-9a-f-]{36}$/);
        let polledWorkflowId: string | undefined;
        await until('the workflow task through matching', async () => {
          const polled = await c.call(
            'PollWorkflowTaskQueue',
            { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'tls-test' },
            { deadline: new Date(Date.now() + 5_000) },
          );
          polledWorkflowId = (polled.workflowExecution as { workflowId?: string } | undefined)?.workflowId;
          return polledWorkflowId !== undefined;
        });
        assert.equal(polledWorkflowId, workflowId);
      } finally {
        c.close();
      }

      // Same CA, but the certificate is not valid for the internal name: history refuses the member's calls.
      const impostor = await startServer({
        config: config({ hostId: 'impostor', ...(await internal('impostor', ['somewhere.else'])) }),
        dbUrl,
        services: new Set(['frontend'] as const),
      });
      started.push(impostor);
      const plain = new TemporalGrpcClient(impostor.address ?? '');
      try {
        const refused = await plain
          .call(
            'StartWorkflowExecution',
            {
              namespace: 'default',
              workflowId: `wf-${randomUUID()}`,
              workflowType: { name: 'OverTls' },
              taskQueue: { name: 'q' },
              requestId: randomUUID(),
            },
            { deadline: new Date(Date.now() + 10_000) },
          )
          .then(
            () => undefined,
            (error: GrpcError) => error,
          );
        assert.ok(refused, 'the impostor member reached history');
        assert.equal(refused.code, 16 /* UNAUTHENTICATED */);
        assert.match(refused.details, /internal peer refused: .*DNS:somewhere\.else/);
      } finally {
        plain.close();
      }
    } finally {
      await Promise.all(started.reverse().map((server) => server.stop()));
    }
  });
});
