// The frontend's gRPC port over TLS: server-only TLS, and mutual TLS with a client CA, whose verified client
// certificate reaches the handlers as RpcCall.peer (what an authorizer reads).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ChannelCredentials, credentials, type ServiceError as GrpcError, status } from '@grpc/grpc-js';
import type { HistoryApi, MatchingApi, PeerIdentity } from '@odin/api';
import { TlsMaterial } from '@odin/runtime';
import { type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import { FrontendService } from '../src/frontend-service.js';
import { TemporalGrpcClient } from '../src/grpc-client.js';
import type { RpcCall } from '../src/handler-types.js';
import { fixture } from './fakes.js';

const LIMIT = { timeout: 30_000 };

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let serverPair: KeyPair;
const materials: TlsMaterial[] = [];
const open: { close(): void }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-frontend-tls-'));
  [ca, otherCa] = await Promise.all([TestCa.create('Frontend CA'), TestCa.create('Stranger CA')]);
  serverPair = await ca.issue({ dnsNames: ['odin-frontend', 'localhost'], ipAddresses: ['127.0.0.1'] });
});

after(() => {
  for (const client of open) client.close();
  for (const material of materials) material.close();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
async function material(clientCa?: string): Promise<TlsMaterial> {
  const sub = join(dir, `listener-${++seq}`);
  const files = writeKeyPair(sub, 'tls', serverPair);
  let caFile: string | undefined;
  if (clientCa !== undefined) {
    caFile = join(sub, 'client-ca.crt');
    writeAtomically(caFile, clientCa);
  }
  const { ctx } = await fixture({ realTime: true });
  const loaded = await TlsMaterial.load(
    { ...files, ...(caFile ? { caFile } : {}) },
    { clock: ctx.clock, logger: ctx.logger, refreshIntervalMs: 60_000, name: 'public' },
  );
  materials.push(loaded);
  return loaded;
}

/** Starts a frontend whose history records the RpcCall of each start. */
async function frontendOn(
  tls: TlsMaterial,
): Promise<{ address: string; seen: RpcCall[]; stop(): Promise<void> }> {
  const f = await fixture({ realTime: true });
  const seen: RpcCall[] = [];
  const history = {
    startWorkflowExecution: async (_ns: unknown, _req: unknown, call: RpcCall) => {
      seen.push(call);
      return { runId: 'run-tls' };
    },
  } as unknown as HistoryApi;
  const frontend = new FrontendService(f.ctx, { history, matching: {} as MatchingApi });
  const port = await frontend.listen('127.0.0.1', 0, { tls });
  return { address: `127.0.0.1:${port}`, seen, stop: () => frontend.stop(100) };
}

function client(address: string, creds: ChannelCredentials): TemporalGrpcClient {
  const made = new TemporalGrpcClient(address, undefined, {
    credentials: creds,
    channelOptions: { 'grpc.ssl_target_name_override': 'odin-frontend' },
  });
  open.push(made);
  return made;
}

const start = (c: TemporalGrpcClient) =>
  c.call(
    'StartWorkflowExecution',
    {
      namespace: 'default',
      workflowId: 'wf',
      workflowType: { name: 'T' },
      taskQueue: { name: 'q' },
      requestId: `r-${++seq}`,
    },
    { deadline: new Date(Date.now() + 5_000) },
  );

async function refused(call: Promise<unknown>): Promise<GrpcError> {
  return call.then(
    () => assert.fail('the call was expected to be refused'),
    (error: GrpcError) => error,
  );
}

describe('frontend gRPC with server TLS', LIMIT, () => {
  let server: Awaited<ReturnType<typeof frontendOn>>;
  before(async () => {
    server = await frontendOn(await material());
  });
  after(() => server.stop());

  test('a TLS client trusting the CA is served; no peer identity without a client certificate', async () => {
    const started = await start(client(server.address, credentials.createSsl(Buffer.from(ca.cert))));
    assert.equal(started.runId, 'run-tls');
    assert.equal(server.seen.at(-1)?.peer, undefined);
  });

  test('a plaintext client is refused', async () => {
    const error = await refused(start(client(server.address, credentials.createInsecure())));
    assert.equal(error.code, status.UNAVAILABLE);
  });

  test('a client that does not trust the server certificate refuses it', async () => {
    const error = await refused(
      start(client(server.address, credentials.createSsl(Buffer.from(otherCa.cert)))),
    );
    assert.equal(error.code, status.UNAVAILABLE);
  });
});

describe('frontend gRPC with mutual TLS', LIMIT, () => {
  let server: Awaited<ReturnType<typeof frontendOn>>;
  before(async () => {
    server = await frontendOn(await material(ca.cert));
  });
  after(() => server.stop());

  test('a client certificate of the client CA is served, and its identity reaches the handler', async () => {
    const worker = await ca.issue({
      commonName: 'payments-worker',
      subjectSuffix: 'O=Acme, OU=Payments',
      dnsNames: ['worker.payments.internal'],
      uris: ['spiffe://acme/ns/payments/sa/worker'],
      usage: 'client',
    });
    const creds = credentials.createSsl(
      Buffer.from(ca.cert),
      Buffer.from(worker.key),
      Buffer.from(worker.cert),
    );
    await start(client(server.address, creds));
    const peer = server.seen.at(-1)?.peer as PeerIdentity;
    assert.ok(peer, 'the handler sees the peer');
    assert.equal(peer.subject, 'CN=payments-worker, O=Acme, OU=Payments');
    assert.equal(peer.commonName, 'payments-worker');
    assert.deepEqual(peer.subjectAttributes, { CN: 'payments-worker', O: 'Acme', OU: 'Payments' });
    assert.equal(peer.issuer, 'CN=Frontend CA');
    assert.deepEqual(peer.dnsNames, ['worker.payments.internal']);
    assert.deepEqual(peer.uris, ['spiffe://acme/ns/payments/sa/worker']);
    assert.match(peer.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(peer.notAfter > Date.now());
  });

  test('a client without a certificate is refused', async () => {
    const error = await refused(start(client(server.address, credentials.createSsl(Buffer.from(ca.cert)))));
    assert.equal(error.code, status.UNAVAILABLE);
  });

  test('a client certificate of another CA is refused', async () => {
    const stranger = await otherCa.issue({ commonName: 'stranger', usage: 'client' });
    const creds = credentials.createSsl(
      Buffer.from(ca.cert),
      Buffer.from(stranger.key),
      Buffer.from(stranger.cert),
    );
    const error = await refused(start(client(server.address, creds)));
    assert.equal(error.code, status.UNAVAILABLE);
  });

  test('invoke passes a given peer through to the handler (for the HTTP API)', async () => {
    const f = await fixture({ realTime: true });
    const seen: RpcCall[] = [];
    const history = {
      startWorkflowExecution: async (_ns: unknown, _req: unknown, call: RpcCall) => {
        seen.push(call);
        return { runId: 'r' };
      },
    } as unknown as HistoryApi;
    const frontend = new FrontendService(f.ctx, { history, matching: {} as MatchingApi });
    const peer = { subject: 'CN=http-client' } as PeerIdentity;
    await frontend.invoke(
      'temporal.api.workflowservice.v1.WorkflowService',
      'StartWorkflowExecution',
      {
        namespace: 'default',
        workflowId: 'w',
        workflowType: { name: 'T' },
        taskQueue: { name: 'q' },
        requestId: 'x',
      },
      { peer },
    );
    assert.equal(seen[0]?.peer, peer);
  });
});
