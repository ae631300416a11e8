// `server start-dev --tls-cert --tls-key --tls-client-ca` as a real process, and the client commands' `--tls-*`
// flags (and their environment variables) against it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type KeyPair, TestCa, writeAtomically, writeKeyPair } from '@odin/test-pki';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';
import { runCli } from './fixtures/cli-harness.js';

const LIMIT = { timeout: 90_000 };
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let clientFiles: { certFile: string; keyFile: string };
let strangerFiles: { certFile: string; keyFile: string };
let caFile: string;
let address: string;
let server: ReturnType<typeof spawn> | undefined;
let banner = '';

/** Clean of the variables a developer's shell may hold, so only what a test gives counts. */
const CLEAN_ENV = {
  HUGO_ORCHESTRATOR_TLS: undefined,
  HUGO_ORCHESTRATOR_TLS_CA: undefined,
  HUGO_ORCHESTRATOR_TLS_CERT: undefined,
  HUGO_ORCHESTRATOR_TLS_KEY: undefined,
  HUGO_ORCHESTRATOR_TLS_CLIENT_CA: undefined,
  HUGO_ORCHESTRATOR_TLS_SERVER_NAME: undefined,
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-cli-tls-'));
  [ca, otherCa] = await Promise.all([TestCa.create('CLI Test CA'), TestCa.create('Other CA')]);
  const serverPair: KeyPair = await ca.issue({ dnsNames: ['odin-frontend'], usage: 'server' });
  const serverFiles = writeKeyPair(dir, 'server', serverPair);
  clientFiles = writeKeyPair(dir, 'client', await ca.issue({ commonName: 'operator', usage: 'client' }));
  strangerFiles = writeKeyPair(
    dir,
    'stranger',
    await otherCa.issue({ commonName: 'stranger', usage: 'client' }),
  );
  caFile = join(dir, 'ca.crt');
  writeAtomically(caFile, ca.cert);
  server = spawn(
    process.execPath,
    [
      '--conditions=@odin/source',
      '--import',
      'tsx',
      main,
      'server',
      'start-dev',
      '--port',
      '0',
      '--tls-cert',
      serverFiles.certFile,
      '--tls-key',
      serverFiles.keyFile,
      '--tls-client-ca',
      caFile,
    ],
    { env: { ...process.env, ...CLEAN_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  address = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`start-dev did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (\S+) .*\n {2}transport: {2}(.*)\n/.exec(output);
      if (found) {
        clearTimeout(timer);
        banner = output;
        resolve(found[1]!);
      }
    };
    server?.stdout?.on('data', onData);
    server?.stderr?.on('data', onData);
    server?.once('exit', (code) => reject(new Error(`start-dev exited (${code}):\n${output}`)));
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  return runCommand(['namespace', 'describe', '--name', 'default', '--output', 'json', ...args], {
    HUGO_ORCHESTRATOR_ADDRESS: address,
    ...env,
  });
}

describe('the CLI on mutual TLS', LIMIT, () => {
  test('start-dev says the client port needs mutual TLS', () => {
    assert.match(banner, /transport: {2}mutual TLS/);
  });

  test('client flags with the CA, a client certificate and the server name are served', async () => {
    const run = await cli([
      '--tls-ca',
      caFile,
      '--tls-cert',
      clientFiles.certFile,
      '--tls-key',
      clientFiles.keyFile,
      '--tls-server-name',
      'odin-frontend',
    ]);
    assert.equal(run.code, ExitCode.ok, run.stderr);
    assert.equal(JSON.parse(run.stdout).name, 'default');
  });

  test('the same from the environment', async () => {
    const run = await cli([], {
      HUGO_ORCHESTRATOR_TLS_CA: caFile,
      HUGO_ORCHESTRATOR_TLS_CERT: clientFiles.certFile,
      HUGO_ORCHESTRATOR_TLS_KEY: clientFiles.keyFile,
      HUGO_ORCHESTRATOR_TLS_SERVER_NAME: 'odin-frontend',
    });
    assert.equal(run.code, ExitCode.ok, run.stderr);
  });

  test('no client certificate, a certificate of another CA, or plaintext: refused', async () => {
    const withoutCert = await cli([
      '--tls-ca',
      caFile,
      '--tls-server-name',
      'odin-frontend',
      '--timeout',
      '3s',
    ]);
    assert.notEqual(withoutCert.code, ExitCode.ok);
    assert.match(withoutCert.stderr, /certificate required|UNAVAILABLE|unavailable/i);
    const stranger = await cli([
      '--tls-ca',
      caFile,
      '--tls-cert',
      strangerFiles.certFile,
      '--tls-key',
      strangerFiles.keyFile,
      '--tls-server-name',
      'odin-frontend',
      '--timeout',
      '3s',
    ]);
    assert.notEqual(stranger.code, ExitCode.ok);
    const plaintext = await cli(['--timeout', '3s']);
    assert.notEqual(plaintext.code, ExitCode.ok);
  });
});

describe('server TLS flags that cannot work', LIMIT, () => {
  test('a certificate without its key is a usage error naming what is missing', async () => {
    const run = await runCli(
      ['server', 'start-dev', '--port', '0', '--tls-cert', clientFiles.certFile],
      CLEAN_ENV,
    );
    assert.equal(run.code, ExitCode.usage, run.stderr);
    assert.match(run.stderr, /HUGO_ORCHESTRATOR_TLS_KEY: must be set with HUGO_ORCHESTRATOR_TLS_CERT/);
  });

  test('a key that is not the certificate’s stops the start and says so', async () => {
    const run = await runCli(
      [
        'server',
        'start-dev',
        '--port',
        '0',
        '--tls-cert',
        clientFiles.certFile,
        '--tls-key',
        strangerFiles.keyFile,
      ],
      CLEAN_ENV,
    );
    assert.equal(run.code, ExitCode.usage, run.stderr);
    assert.match(run.stderr, /TLS material of the public listeners: .*stranger\.key is not the private key/);
  });
});
