// The internal transport over mutual TLS: a peer needs a certificate the CA bundle signed AND valid for the
// cluster's internal name, in both directions; plaintext and certificate-less clients are refused; rotating the
// certificates (and the CA bundle, with an overlap) under load fails no call.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { credentials, status } from '@grpc/grpc-js';
import { VirtualClock } from '@odin/hugo';
import { createLogger, TlsMaterial } from '@odin/runtime';
import { bundle, type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import {
  type AddTaskRequest,
  createMatchingClient,
  type InternalServer,
  type InternalTls,
  type MatchingApi,
  type NamespaceRef,
  ServiceError,
  startInternalServer,
} from '../src/index.js';

const LIMIT = { timeout: 30_000 };
const NAME = 'odin.internal.test';
const NS: NamespaceRef = { id: 'ns-id', name: 'orders' };
const TASK: AddTaskRequest = { taskQueue: 'q', workflowId: 'wf', runId: 'run', scheduledEventId: 5 };
const ctx = () => ({ signal: new AbortController().signal, deadline: Date.now() + 5_000 });

let dir: string;
let ca: TestCa;
let nextCa: TestCa;
let otherCa: TestCa;
const clock = new VirtualClock(Date.now());
const materials: TlsMaterial[] = [];
const servers: InternalServer[] = [];
const clients: { close(): void }[] = [];
let added = 0;

const matching = {
  addWorkflowTask: async () => {
    added++;
  },
} as unknown as MatchingApi;

let seq = 0;
async function materialOf(pair: KeyPair, caPem: string): Promise<{ material: TlsMaterial; dir: string }> {
  const sub = join(dir, `peer-${++seq}`);
  const files = writeKeyPair(sub, 'tls', pair);
  const caFile = join(sub, 'ca.crt');
  writeAtomically(caFile, caPem);
  const material = await TlsMaterial.load(
    { ...files, caFile },
    { clock, logger: createLogger({ level: 'silent' }), refreshIntervalMs: 60_000, name: 'internal' },
  );
  materials.push(material);
  return { material, dir: sub };
}

async function peer(
  pair: KeyPair,
  caPem = ca.cert,
  serverName = NAME,
): Promise<InternalTls & { dir: string }> {
  const { material, dir: sub } = await materialOf(pair, caPem);
  return { material, serverName, dir: sub };
}

async function serve(tls: InternalTls | undefined): Promise<string> {
  const server = await startInternalServer({ host: '127.0.0.1', port: 0, matching, ...(tls ? { tls } : {}) });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

function client(address: string, options: Parameters<typeof createMatchingClient>[1] = {}): MatchingApi {
  const made = createMatchingClient(address, options);
  clients.push(made);
  return made;
}

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ServiceError, String(error));
    return error;
  }
  assert.fail('the call was expected to be refused');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-internal-tls-'));
  [ca, nextCa, otherCa] = await Promise.all([
    TestCa.create('Internal CA'),
    TestCa.create('Next Internal CA'),
    TestCa.create('Somebody Else'),
  ]);
});

after(async () => {
  for (const made of clients) made.close();
  await Promise.all(servers.map((server) => server.stop(100)));
  for (const material of materials) material.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('internal gRPC over mutual TLS', LIMIT, () => {
  let address: string;
  let good: InternalTls;

  before(async () => {
    address = await serve(await peer(await ca.issue({ dnsNames: [NAME] })));
    good = await peer(await ca.issue({ dnsNames: [NAME] }));
  });

  test('peers with certificates of the CA, valid for the internal name, talk', async () => {
    const before = added;
    await client(address, { tls: good }).addWorkflowTask(NS, TASK, ctx());
    assert.equal(added, before + 1);
  });

  test('a wildcard certificate matches the name by the usual rules', async () => {
    const wildcard = await peer(await ca.issue({ dnsNames: ['*.internal.test'] }), ca.cert, NAME);
    await client(address, { tls: wildcard }).addWorkflowTask(NS, TASK, ctx());
  });

  test('a plaintext client is refused', async () => {
    const error = await refusal(client(address).addWorkflowTask(NS, TASK, ctx()));
    assert.equal(error.code, status.UNAVAILABLE);
  });

  test('a TLS client without a certificate is refused', async () => {
    const anonymous = credentials.createSsl(Buffer.from(ca.cert), null, null, {
      checkServerIdentity: () => undefined,
    });
    const error = await refusal(client(address, { credentials: anonymous }).addWorkflowTask(NS, TASK, ctx()));
    assert.equal(error.code, status.UNAVAILABLE);
  });

  test('a client certificate of another CA is refused', async () => {
    const stranger = await peer(await otherCa.issue({ dnsNames: [NAME] }), bundle(ca.cert, otherCa.cert));
    const error = await refusal(client(address, { tls: stranger }).addWorkflowTask(NS, TASK, ctx()));
    assert.equal(error.code, status.UNAVAILABLE);
  });

  test('a client of the right CA but without the internal name is refused by the server', async () => {
    const before = added;
    const wrongName = await peer(await ca.issue({ dnsNames: ['frontend.example.com'] }));
    const error = await refusal(client(address, { tls: wrongName }).addWorkflowTask(NS, TASK, ctx()));
    assert.equal(error.code, status.UNAUTHENTICATED);
    assert.match(
      error.message,
      /internal peer refused: .*frontend\.example\.com.* \(expected a certificate for odin\.internal\.test\)/,
    );
    assert.equal(added, before, 'the call never reached the role');
  });

  test('a server of the right CA but without the internal name is refused by the client', async () => {
    const impostor = await serve(await peer(await ca.issue({ dnsNames: ['history.elsewhere'] })));
    const error = await refusal(client(impostor, { tls: good }).addWorkflowTask(NS, TASK, ctx()));
    assert.equal(error.code, status.UNAVAILABLE);
  });
});

describe('rotating internal certificates under load', LIMIT, () => {
  test('certificates and then the CA are rotated while calls run; none fails, new connections use the new certificates', async () => {
    // Every peer trusts the current CA; the next CA joins every bundle first (the overlap), then the certificates
    // are reissued by it, then the old CA leaves the bundles.
    const server = await peer(await ca.issue({ dnsNames: [NAME] }));
    const address = await serve(server);
    const peers = await Promise.all(
      Array.from({ length: 3 }, async () => peer(await ca.issue({ dnsNames: [NAME] }))),
    );
    const failures: unknown[] = [];
    let calls = 0;
    let running = true;
    const loops = peers.map(async (tls) => {
      const matchingClient = client(address, { tls });
      while (running) {
        try {
          await matchingClient.addWorkflowTask(NS, TASK, ctx());
          calls++;
        } catch (error) {
          failures.push(error);
        }
      }
    });
    /** What a brand-new connection (no pooled channel) sees of the server, with the given client material. */
    const handshake = (pair: KeyPair, caPem: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: '127.0.0.1',
            port: Number(address.split(':')[1]),
            ca: caPem,
            cert: pair.cert,
            key: pair.key,
            servername: NAME,
          },
          () => {
            const issuer = socket.getPeerCertificate().issuer.CN;
            socket.end();
            resolve(String(issuer));
          },
        );
        socket.once('error', reject);
      });
    const everyone = [server, ...peers];
    const rotate = async (step: (peer: InternalTls & { dir: string }) => Promise<void>) => {
      for (const tls of everyone) await step(tls);
      await Promise.all(everyone.map((tls) => (tls.material as TlsMaterial).refresh()));
      const before = calls;
      while (calls < before + 20) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const overlap = bundle(ca.cert, nextCa.cert);

    await rotate(async (tls) => writeAtomically(join(tls.dir, 'ca.crt'), overlap));
    await rotate(async (tls) => {
      writeKeyPair(tls.dir, 'tls', await nextCa.issue({ dnsNames: [NAME] }));
    });
    const fresh = await nextCa.issue({ dnsNames: [NAME] });
    assert.equal(await handshake(fresh, nextCa.cert), 'Next Internal CA');
    // A new client connection made now, with a peer's own (rotated) material, works.
    await client(address, { tls: await peer(fresh, overlap) }).addWorkflowTask(NS, TASK, ctx());
    await rotate(async (tls) => writeAtomically(join(tls.dir, 'ca.crt'), nextCa.cert));
    // After the old CA left the server's bundle, a new connection with an old certificate is refused.
    const old = await peer(await ca.issue({ dnsNames: [NAME] }), overlap);
    assert.equal(
      (await refusal(client(address, { tls: old }).addWorkflowTask(NS, TASK, ctx()))).code,
      status.UNAVAILABLE,
    );

    running = false;
    await Promise.all(loops);
    assert.deepEqual(failures, []);
    assert.ok(calls > 60, `only ${calls} calls ran during the rotation`);
  });
});
