// TlsMaterial: loading and checking TLS files, and their reload on the injected clock (rotation), including the
// half-written rotation that must not replace working material.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Server, connect as tlsConnect } from 'node:tls';
import { createServer } from 'node:https';
import { VirtualClock } from '@odin/hugo';
import { bundle, type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  type CaCertificateUpdate,
  followTlsMaterial,
  type IdentityCertificateUpdate,
  loadServerTls,
  readTlsFiles,
  TlsMaterial,
  TlsMaterialError,
  tlsServerOptions,
} from '../src/tls/index.js';
import { createLogger } from '../src/logger.js';

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let first: KeyPair;
let second: KeyPair;
let fromOtherCa: KeyPair;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-tls-'));
  ca = await TestCa.create('Runtime Test CA');
  otherCa = await TestCa.create('Other CA');
  first = await ca.issue({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  second = await ca.issue({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  fromOtherCa = await otherCa.issue({ dnsNames: ['localhost'] });
});

after(() => rmSync(dir, { recursive: true, force: true }));

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(): { logger: { info: never; warn: never }; lines: Logged[] } {
  const lines: Logged[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, fields, message });
  return { logger: { info: log('info'), warn: log('warn') } as never, lines };
}

let seq = 0;
/** The certificates are valid around the real time; the virtual clock starts there too. */
function freshFiles(pair: KeyPair, caPem?: string): { certFile: string; keyFile: string; caFile?: string } {
  const sub = join(dir, `set-${++seq}`);
  const files = writeKeyPair(sub, 'tls', pair);
  if (caPem === undefined) return files;
  const caFile = join(sub, 'ca.crt');
  writeAtomically(caFile, caPem);
  return { ...files, caFile };
}

describe('reading TLS files', () => {
  test('a certificate, its key and a CA bundle load, with summaries for the logs', async () => {
    const loaded = await readTlsFiles(freshFiles(first, bundle(ca.cert, otherCa.cert)));
    assert.ok(loaded.ok, loaded.error?.message);
    assert.equal(loaded.value.leaf.subject, 'CN=localhost');
    assert.match(loaded.value.leaf.subjectAltName, /DNS:localhost/);
    assert.deepEqual(
      loaded.value.cas.map((c) => c.subject),
      ['CN=Runtime Test CA', 'CN=Other CA'],
    );
  });

  test('a key that is not the certificate’s is refused, naming the files', async () => {
    const files = freshFiles(first);
    writeAtomically(files.keyFile, second.key);
    const loaded = await readTlsFiles(files);
    assert.equal(loaded.ok, false);
    assert.match(loaded.error?.message ?? '', /is not the private key of the certificate in .*tls\.crt/);
  });

  test('a missing file, a file without a certificate and a broken CA bundle are refused', async () => {
    const missing = await readTlsFiles({ certFile: join(dir, 'nope.crt'), keyFile: join(dir, 'nope.key') });
    assert.match(missing.error?.message ?? '', /cannot read .*nope\.crt \(ENOENT\)/);
    const files = freshFiles(first);
    writeFileSync(files.certFile, 'not a certificate');
    assert.match((await readTlsFiles(files)).error?.message ?? '', /holds no PEM certificate/);
    const withCa = freshFiles(first, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.match((await readTlsFiles(withCa)).error?.message ?? '', /certificate 1 cannot be parsed/);
  });

  test('TlsMaterial.load throws TlsMaterialError, naming the listener', async () => {
    const files = freshFiles(first);
    writeAtomically(files.keyFile, second.key);
    const { logger } = recordingLogger();
    await assert.rejects(
      TlsMaterial.load(files, {
        clock: new VirtualClock(Date.now()),
        logger,
        refreshIntervalMs: 1000,
        name: 'public',
      }),
      (error: unknown) =>
        error instanceof TlsMaterialError && /TLS material of the public listeners/.test(error.message),
    );
  });
});

describe('reloading on the clock', () => {
  test('a rotation is picked up at the next poll and reaches every kind of listener', async () => {
    const clock = new VirtualClock(Date.now());
    const { logger, lines } = recordingLogger();
    const files = freshFiles(first, ca.cert);
    const controller = new AbortController();
    const material = await TlsMaterial.load(files, {
      clock,
      logger,
      refreshIntervalMs: 1000,
      signal: controller.signal,
      name: 'public',
    });
    const identities: (IdentityCertificateUpdate | null)[] = [];
    const cas: (CaCertificateUpdate | null)[] = [];
    const changes: string[] = [];
    material.addIdentityCertificateListener((update) => identities.push(update));
    material.addCaCertificateListener((update) => cas.push(update));
    material.onChange((loaded) => changes.push(loaded.leaf.fingerprint256));
    // Providers answer a new listener asynchronously (grpc-js registers its watcher after its listeners).
    assert.equal(identities.length, 0);
    await Promise.resolve();
    assert.equal(identities[0]?.certificate.toString(), first.cert);
    assert.equal(cas[0]?.caCertificate.toString(), ca.cert);

    // Nothing changed: a poll publishes nothing.
    await clock.advance(1000);
    await material.refresh();
    assert.equal(identities.length, 1);

    writeKeyPair(join(files.certFile, '..'), 'tls', second);
    writeAtomically(files.caFile!, bundle(ca.cert, otherCa.cert));
    // Not before the poll: the clock decides when the files are looked at.
    assert.equal(material.current().pem.cert.toString(), first.cert);
    await clock.advance(1000);
    await material.refresh();
    assert.equal(material.current().pem.cert.toString(), second.cert);
    assert.equal(identities.at(-1)?.certificate.toString(), second.cert);
    assert.equal(identities.at(-1)?.privateKey.toString(), second.key);
    assert.equal(cas.at(-1)?.caCertificate.toString(), bundle(ca.cert, otherCa.cert));
    assert.equal(changes.length, 1);
    assert.ok(lines.some((line) => line.message === 'TLS material reloaded'));

    controller.abort();
    assert.equal(clock.pendingTimers, 0, 'the poll stops with the signal');
  });

  test('a half-written rotation keeps the current material until the rest arrives', async () => {
    const clock = new VirtualClock(Date.now());
    const { logger, lines } = recordingLogger();
    const files = freshFiles(first);
    const material = await TlsMaterial.load(files, {
      clock,
      logger,
      refreshIntervalMs: 500,
      name: 'internal',
    });
    try {
      writeAtomically(files.certFile, second.cert);
      assert.equal(await material.refresh(), false);
      assert.equal(material.current().pem.cert.toString(), first.cert);
      const warning = lines.find((line) => line.level === 'warn');
      assert.match(String(warning?.fields.reason), /is not the private key/);
      // Reported once, not at every poll.
      await clock.advance(500);
      await material.refresh();
      assert.equal(lines.filter((line) => line.level === 'warn').length, 1);

      writeAtomically(files.keyFile, second.key);
      await clock.advance(500);
      await material.refresh();
      assert.equal(material.current().pem.cert.toString(), second.cert);
    } finally {
      material.close();
    }
  });

  test('a file replaced by a certificate of another CA is loaded: trust is the peers’ decision', async () => {
    const clock = new VirtualClock(Date.now());
    const { logger } = recordingLogger();
    const files = freshFiles(first);
    const material = await TlsMaterial.load(files, { clock, logger, refreshIntervalMs: 500, name: 'public' });
    try {
      writeKeyPair(join(files.certFile, '..'), 'tls', fromOtherCa);
      assert.equal(await material.refresh(), true);
      assert.equal(material.current().leaf.issuer, 'CN=Other CA');
    } finally {
      material.close();
    }
  });
});

describe('node:tls listeners follow the material', () => {
  let server: Server;
  let material: TlsMaterial;
  let files: ReturnType<typeof freshFiles>;
  let port: number;
  const clock = new VirtualClock(Date.now());

  before(async () => {
    files = freshFiles(first, ca.cert);
    material = await TlsMaterial.load(files, {
      clock,
      logger: recordingLogger().logger,
      refreshIntervalMs: 1000,
      name: 'public',
    });
    server = createServer(tlsServerOptions(material), (_req, res) => res.end('ok'));
    followTlsMaterial(server, material);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    material.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function peerFingerprint(client: KeyPair): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port, ca: ca.cert, cert: client.cert, key: client.key, servername: 'localhost' },
        () => {
          const fingerprint = socket.getPeerCertificate().fingerprint256;
          socket.end();
          resolve(fingerprint);
        },
      );
      socket.once('error', reject);
    });
  }

  function get(client?: KeyPair): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          ca: ca.cert,
          servername: 'localhost',
          agent: false,
          ...(client ? { cert: client.cert, key: client.key } : {}),
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.once('error', reject);
      req.end();
    });
  }

  test('client certificates are required when the material has a CA bundle', async () => {
    assert.equal(await get(second), 200);
    await assert.rejects(get(), /certificate required|socket hang up|ECONNRESET/);
    await assert.rejects(get(fromOtherCa), /unknown ca|ECONNRESET|socket hang up/);
  });

  test('a new connection after a rotation sees the new certificate', async () => {
    const before = await peerFingerprint(second);
    writeKeyPair(join(files.certFile, '..'), 'tls', second);
    await clock.advance(1000);
    await material.refresh();
    const afterRotation = await peerFingerprint(second);
    assert.notEqual(afterRotation, before);
    assert.equal(afterRotation, material.current().leaf.fingerprint256);
  });
});

describe('TLS configuration', () => {
  const env = (vars: Record<string, string>) => loadConfig(vars);

  test('public and internal TLS variables load into TlsMaterial, with the refresh interval as a duration', async () => {
    const publicFiles = freshFiles(first, ca.cert);
    const internalFiles = freshFiles(second, ca.cert);
    const config = env({
      HUGO_ORCHESTRATOR_TLS_CERT: publicFiles.certFile,
      HUGO_ORCHESTRATOR_TLS_KEY: publicFiles.keyFile,
      HUGO_ORCHESTRATOR_TLS_CLIENT_CA: publicFiles.caFile!,
      HUGO_ORCHESTRATOR_INTERNAL_TLS_CERT: internalFiles.certFile,
      HUGO_ORCHESTRATOR_INTERNAL_TLS_KEY: internalFiles.keyFile,
      HUGO_ORCHESTRATOR_INTERNAL_TLS_CA: internalFiles.caFile!,
      HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME: 'odin-internal',
      HUGO_ORCHESTRATOR_TLS_REFRESH_INTERVAL: '2m',
    });
    assert.equal(config.tlsRefreshIntervalMs, 120_000);
    const controller = new AbortController();
    const tls = await loadServerTls(config, {
      clock: new VirtualClock(Date.now()),
      logger: createLogger({ level: 'silent' }),
      signal: controller.signal,
    });
    assert.equal(tls.public?.hasCa, true);
    assert.equal(tls.public?.current().pem.cert.toString(), first.cert);
    assert.equal(tls.internal?.serverName, 'odin-internal');
    assert.equal(tls.internal?.material.current().pem.cert.toString(), second.cert);
    controller.abort();
    assert.deepEqual(
      await loadServerTls(env({}), {
        clock: new VirtualClock(Date.now()),
        logger: createLogger({ level: 'silent' }),
      }),
      {},
    );
  });

  test('incomplete settings name every missing variable', () => {
    assert.throws(
      () => env({ HUGO_ORCHESTRATOR_TLS_CERT: '/x.crt' }),
      /HUGO_ORCHESTRATOR_TLS_KEY: must be set with HUGO_ORCHESTRATOR_TLS_CERT/,
    );
    assert.throws(
      () => env({ HUGO_ORCHESTRATOR_TLS_REFRESH_INTERVAL: 'often' }),
      /HUGO_ORCHESTRATOR_TLS_REFRESH_INTERVAL="often": must be a duration/,
    );
    assert.throws(
      () => env({ HUGO_ORCHESTRATOR_TLS_CLIENT_CA: '/ca.crt' }),
      /HUGO_ORCHESTRATOR_TLS_CERT: must be set with HUGO_ORCHESTRATOR_TLS_CLIENT_CA/,
    );
    assert.throws(
      () =>
        env({ HUGO_ORCHESTRATOR_INTERNAL_TLS_CERT: '/i.crt', HUGO_ORCHESTRATOR_INTERNAL_TLS_KEY: '/i.key' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        /^HUGO_ORCHESTRATOR_INTERNAL_TLS_CA: must be set/.test(error.problems[0] ?? '') &&
        /^HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME: must be set/.test(error.problems[1] ?? ''),
    );
    assert.throws(
      () => env({ HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME: 'not a name!' }),
      /HUGO_ORCHESTRATOR_INTERNAL_TLS_SERVER_NAME="not a name!": must be a DNS name/,
    );
  });
});
