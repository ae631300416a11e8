// Payload codecs: the AES-256-GCM codec (key ids, rotation), the codec server, and codecs on the wire between our
// client/worker and the official SDK 1.24's (the same codec plugged into `dataConverter.payloadCodecs`).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  Connection as OfficialConnection,
  WorkflowFailedError as OfficialWorkflowFailedError,
} from '@temporalio/client';
import type { ApplicationFailure as OfficialApplicationFailure } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker as OfficialWorker,
} from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import { Connection, WorkflowClient, WorkflowFailedError } from '../src/client/index.js';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  PayloadEncryptionError,
} from '../src/codec/aes-gcm-codec.js';
import { startCodecServer } from '../src/codec/codec-server.js';
import { ApplicationFailure } from '../src/common/failure.js';
import { LOCAL_ACTIVITY_MARKER } from '../src/common/local-activity-marker.js';
import { defaultPayloadConverter, encodingOf } from '../src/common/payload.js';
import type { IHistoryEvent, IPayload } from '../src/common/proto-types.js';
import { assertDeterministicReplay, replayWorkflowFromServer } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import * as codecWorkflows from './workflows/codec.js';

const oldKey = randomBytes(32);
const currentKey = randomBytes(32);
const codec = new AesGcmPayloadCodec({ keys: { k1: oldKey, k2: currentKey }, currentKeyId: 'k2' });

describe('AES-256-GCM codec', () => {
  test('encrypts with the current key id, decrypts with any known one, passes plain payloads through', async () => {
    const before = new AesGcmPayloadCodec({ keys: { k1: oldKey }, currentKeyId: 'k1' });
    const plain = defaultPayloadConverter.toPayload({ card: '4242' });
    const [old] = await before.encode([plain]);
    assert.equal(encodingOf(old), ENCRYPTED_ENCODING);
    assert.equal(new TextDecoder().decode(old!.metadata!['encryption-key-id']!), 'k1');
    const [fresh] = await codec.encode([plain]);
    assert.equal(new TextDecoder().decode(fresh!.metadata!['encryption-key-id']!), 'k2');
    const decoded = await codec.decode([old!, fresh!, plain]);
    for (const payload of decoded)
      assert.deepEqual(defaultPayloadConverter.fromPayload(payload), { card: '4242' });
    assert.ok(!Buffer.from(fresh!.data!).includes(Buffer.from('4242')), 'the data is not in the clear');
  });

  test('an unknown key id or a tampered payload fails to decode', async () => {
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const stranger = new AesGcmPayloadCodec({ keys: { k3: randomBytes(32) }, currentKeyId: 'k3' });
    await assert.rejects(stranger.decode([encrypted!]), PayloadEncryptionError);
    const tampered: IPayload = { ...encrypted!, data: Uint8Array.from(encrypted!.data!) };
    tampered.data![20]! ^= 1;
    await assert.rejects(codec.decode([tampered]), /failed authentication/);
    assert.throws(
      () => new AesGcmPayloadCodec({ keys: { a: randomBytes(16) }, currentKeyId: 'a' }),
      RangeError,
    );
  });
});

describe('codec server', () => {
  test('POST /encode and /decode in proto3 JSON, CORS for the UI origin, the auth header checked', async () => {
    const server = await startCodecServer({
      codecs: [codec],
      corsOrigins: ['http://ui.example'],
      authorize: (authorization) => authorization === 'Bearer letmein',
    });
    try {
      const headers = {
        'Content-Type': 'application/json',
        Authorization: 'Bearer letmein',
        'X-Namespace': 'default',
      };
      const plain = {
        metadata: { encoding: Buffer.from('json/plain').toString('base64') },
        data: Buffer.from('"hi"').toString('base64'),
      };
      const encoded = await fetch(`${server.url}/encode`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ payloads: [plain] }),
      });
      assert.equal(encoded.status, 200);
      const encodedBody = (await encoded.json()) as {
        payloads: { metadata: Record<string, string>; data: string }[];
      };
      assert.equal(
        Buffer.from(encodedBody.payloads[0]!.metadata['encoding']!, 'base64').toString(),
        ENCRYPTED_ENCODING,
      );
      const decoded = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers,
        body: JSON.stringify(encodedBody),
      });
      assert.deepEqual(await decoded.json(), { payloads: [plain] });

      const preflight = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://ui.example', 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://ui.example');
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
      const foreign = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: { Origin: 'http://evil.example' },
      });
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);

      const denied = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(encodedBody),
      });
      assert.equal(denied.status, 401);
      const bad = await fetch(`${server.url}/decode`, { method: 'POST', headers, body: '{"nope":1}' });
      assert.equal(bad.status, 400);
    } finally {
      await server.close();
    }
  });
});

describe('codecs on the wire, with the official SDK', () => {
  let server: Awaited<ReturnType<typeof startDevServer>>;
  let connection: Connection;
  let client: WorkflowClient;
  let worker: Worker;
  let running: Promise<void>;
  let officialConnection: OfficialConnection;
  let official: Client;

  before(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    server = await startDevServer({ port: 0 });
    connection = Connection.connect({ address: server.address });
    client = new WorkflowClient({ connection, payloadCodecs: [codec] });
    worker = await Worker.create({
      connection,
      taskQueue: 'codec-ours',
      workflows: codecWorkflows,
      activities: { greet: async (name: string) => `Hello, ${name}!` },
      payloadCodecs: [codec],
      encodeFailureAttributes: true,
    });
    running = worker.run();
    officialConnection = await OfficialConnection.connect({ address: server.address });
    official = new Client({
      connection: officialConnection,
      // Its default failure converter restores a failure's encoded message and stack trace.
      dataConverter: { payloadCodecs: [codec] },
    });
  });

  after(async () => {
    worker.shutdown();
    await running;
    connection.close();
    await officialConnection.close();
    await server.stop();
  });

  /** Every payload of the stored history except local activity marker data, with its encoding. */
  function storedPayloads(history: IHistoryEvent[]): string[] {
    const encodings: string[] = [];
    const walk = (value: unknown, skip: boolean): void => {
      if (!value || typeof value !== 'object') return;
      if (value instanceof Uint8Array) return;
      const record = value as Record<string, unknown>;
      if (record['metadata'] && record['data'] instanceof Uint8Array) {
        encodings.push(encodingOf(record as IPayload) ?? '(none)');
        return;
      }
      for (const [key, child] of Object.entries(record)) {
        if (key === 'header' || key === 'searchAttributes' || (skip && key === 'data')) continue;
        walk(child, key === 'details' && record['markerName'] === LOCAL_ACTIVITY_MARKER);
      }
    };
    for (const event of history) walk(event, false);
    return encodings;
  }

  test('the official client (same codec) drives our worker: every stored payload is encrypted, results decode', async () => {
    const handle = await official.workflow.start('encrypted', {
      taskQueue: 'codec-ours',
      workflowId: `codec-official-to-ours-${process.pid}`,
      args: ['Ada'],
      memo: { owner: 'secret-team' },
    });
    for (let i = 0; i < 100 && (await handle.describe()).historyLength < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await handle.query('secret'), 'secret of Ada');
    await handle.signal('reveal', 'now');
    assert.equal(await handle.result(), 'Hello, Ada! Hello, Ada! effect now');
    assert.deepEqual((await handle.describe()).memo, { owner: 'secret-team' });
    const stored = await client.fetchHistory(handle.workflowId);
    const encodings = storedPayloads(stored);
    assert.ok(encodings.length >= 8, `payloads found: ${encodings.length}`);
    assert.deepEqual([...new Set(encodings)], [ENCRYPTED_ENCODING]);
    assert.ok(stored.some((e) => e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER));
    const replay = await replayWorkflowFromServer(client, handle.workflowId, undefined, codecWorkflows);
    assert.equal(replay.divergence, undefined);
    await assertDeterministicReplay(stored, codecWorkflows, { payloadCodecs: [codec] });
  });

  test('a failure our worker writes (details and message encoded) reads in the official client', async () => {
    const handle = await official.workflow.start('encryptedFailure', {
      taskQueue: 'codec-ours',
      workflowId: `codec-failure-${process.pid}`,
      args: ['4242'],
    });
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.ok(error instanceof OfficialWorkflowFailedError);
      const cause = error.cause as OfficialApplicationFailure;
      assert.equal(cause.message, 'secret failure');
      assert.equal(cause.type, 'SecretError');
      assert.deepEqual(cause.details, [{ card: '4242' }]);
      return true;
    });
    const stored = await client.fetchHistory(handle.workflowId);
    const failure = stored.at(-1)?.workflowExecutionFailedEventAttributes?.failure;
    assert.equal(failure?.message, 'Encoded failure');
    assert.equal(encodingOf(failure?.encodedAttributes), ENCRYPTED_ENCODING);
    assert.equal(encodingOf(failure?.applicationFailureInfo?.details?.payloads?.[0]), ENCRYPTED_ENCODING);
    await assert.rejects(
      client.result(handle.workflowId, undefined),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        error.cause instanceof ApplicationFailure &&
        error.cause.message === 'secret failure' &&
        (error.cause.details[0] as { card: string }).card === '4242',
    );
  });

  test('our client (same codec) drives the official worker (same codec)', async () => {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: new URL('./official-workflows/official.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    try {
      const officialWorker = await OfficialWorker.create({
        connection: nativeConnection,
        taskQueue: 'codec-official',
        workflowBundle,
        activities: { greet: async (name: string) => `Hi, ${name}!` },
        dataConverter: { payloadCodecs: [codec] },
      });
      await officialWorker.runUntil(async () => {
        const handle = await client.start('officialApproval', {
          workflowId: `codec-ours-to-official-${process.pid}`,
          taskQueue: 'codec-official',
          args: ['Bob'],
          memo: { owner: 'secret-team' },
        });
        for (let i = 0; i < 100 && (await handle.describe()).historyLength < 4; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(await handle.query('status'), 'waiting');
        await handle.signal('approve', 'Odin');
        assert.equal(await handle.result(), 'Hi, Bob! (approved by Odin)');
        assert.deepEqual((await handle.describe()).memo, { owner: 'secret-team' });
        const encodings = storedPayloads(await client.fetchHistory(handle.workflowId));
        assert.deepEqual([...new Set(encodings)], [ENCRYPTED_ENCODING]);
      });
    } finally {
      await nativeConnection.close();
    }
  });
});
