// The HTTP listeners' TLS: HTTPS on the shared TlsMaterial (client certificates required with a client CA), the
// verified client certificate as the request's PeerIdentity, and a rotation seen by new connections.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Server } from 'node:http';
import { createLogger, TlsMaterial } from '@odin/runtime';
import { VirtualClock } from '@odin/hugo';
import { type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import { createClientFacingServer, peerOfRequest } from '../src/http-tls.js';

let dir: string;
let ca: TestCa;
let client: KeyPair;
let material: TlsMaterial;
let server: Server;
let port: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-http-tls-'));
  ca = await TestCa.create('HTTP CA');
  client = await ca.issue({ commonName: 'ui-user', subjectSuffix: 'O=Acme', usage: 'client' });
  const files = writeKeyPair(dir, 'tls', await ca.issue({ dnsNames: ['odin-frontend'], usage: 'server' }));
  const caFile = join(dir, 'client-ca.crt');
  writeAtomically(caFile, ca.cert);
  material = await TlsMaterial.load(
    { ...files, caFile },
    {
      clock: new VirtualClock(Date.now()),
      logger: createLogger({ level: 'silent' }),
      refreshIntervalMs: 60_000,
      name: 'public',
    },
  );
  server = createClientFacingServer((req, res) => {
    res.end(JSON.stringify({ subject: peerOfRequest(req)?.subject ?? null }));
  }, material);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  material.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function call(pair?: KeyPair): Promise<{ body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: ca.cert,
        servername: 'odin-frontend',
        agent: false,
        ...(pair ? { cert: pair.cert, key: pair.key } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () =>
          resolve({ body, fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256 }),
        );
      },
    );
    req.once('error', reject);
    req.end();
  });
}

describe('HTTPS on the client-facing TLS material', () => {
  test('a client certificate is required and its identity reaches the handler', async () => {
    assert.deepEqual(JSON.parse((await call(client)).body), { subject: 'CN=ui-user, O=Acme' });
    await assert.rejects(call());
    await assert.rejects(
      new Promise((resolve, reject) =>
        httpGet({ host: '127.0.0.1', port, path: '/' }, resolve).once('error', reject),
      ),
    );
  });

  test('a rotated certificate is served to new connections', async () => {
    const before = (await call(client)).fingerprint;
    const next = await ca.issue({ dnsNames: ['odin-frontend'], usage: 'server' });
    writeKeyPair(dir, 'tls', next);
    assert.equal(await material.refresh(), true);
    const afterRotation = (await call(client)).fingerprint;
    assert.notEqual(afterRotation, before);
    assert.equal(afterRotation, material.current().leaf.fingerprint256);
  });

  test('without material the listener is plain HTTP and no request has a peer', async () => {
    const plain = createClientFacingServer((req, res) => res.end(String(peerOfRequest(req) ?? 'none')));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const body = await new Promise<string>((resolve, reject) =>
        httpGet({ host: '127.0.0.1', port: (plain.address() as { port: number }).port, path: '/' }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve(text));
        }).once('error', reject),
      );
      assert.equal(body, 'none');
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});
