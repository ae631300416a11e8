// The gRPC wire behaviour of Connection, against a scripted node:http2 server: framing, status in trailers or in a
// trailers-only response, percent-decoded messages, error details, HTTP status mapping, size and compression
// refusals, deadline, abort, and surviving a lost session. These only use Connection's public API, so they hold for
// the grpc-js transport it replaced as much as for the node:http2 one. The scripted server answers Odin's multiplexed
// call stream UNIMPLEMENTED, as any gRPC server without it does: the calls here are unary calls after that fallback.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLIENT_MUX_PATH, google, protoRoot } from '@odin/api/public';
import { Connection } from '../src/client/connection.js';
import { ServiceCallError } from '../src/client/errors.js';
import {
  encodeFrame,
  percentDecode,
  statusAtClose,
  statusFromHttp,
  statusFromMetadata,
  timeoutHeader,
  UnaryResponseReader,
} from '../src/client/grpc-wire.js';

const PATH = '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo';
const responseType = protoRoot.lookupType('temporal.api.workflowservice.v1.GetSystemInfoResponse');

function responseBytes(serverVersion: string): Buffer {
  return Buffer.from(responseType.encode(responseType.fromObject({ serverVersion })).finish());
}

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void;

class ScriptedServer {
  handler: Handler = () => {};
  readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Multiplexed call streams answered UNIMPLEMENTED. */
  muxRefused = 0;
  private server: http2.Http2Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const server = http2.createServer();
    server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
    });
    server.on('stream', (stream, headers) => {
      if (headers[':path'] === CLIENT_MUX_PATH) {
        this.muxRefused++;
        stream.on('error', () => {});
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': '12',
            'grpc-message': 'unknown',
          },
          { endStream: true },
        );
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => this.handler(stream, headers, Buffer.concat(chunks)));
      stream.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function ok(stream: http2.ServerHttp2Stream, frame: Buffer, chunkSize = frame.length): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  const write = (offset: number) => {
    if (offset >= frame.length) {
      stream.end();
      return;
    }
    // Separate writes a tick apart become separate DATA frames.
    stream.write(frame.subarray(offset, offset + chunkSize), () =>
      setImmediate(() => write(offset + chunkSize)),
    );
  };
  write(0);
}

function failWith(error: unknown, code: number): boolean {
  assert.ok(error instanceof ServiceCallError, `expected a ServiceCallError, got ${String(error)}`);
  assert.equal(error.code, code);
  return true;
}

describe('grpc wire format', () => {
  test('frames a message with flag 0 and a big-endian length', () => {
    assert.deepEqual([...encodeFrame(Uint8Array.of(7, 8, 9))], [0, 0, 0, 0, 3, 7, 8, 9]);
  });

  test('reads one message across split chunks and refuses compressed, oversized or extra messages', () => {
    const frame = encodeFrame(Uint8Array.of(1, 2, 3, 4));
    const reader = new UnaryResponseReader();
    for (const byte of frame) assert.equal(reader.push(Buffer.of(byte)), undefined);
    assert.deepEqual([...(reader.finish() as Buffer)], [1, 2, 3, 4]);

    const compressed = Buffer.from(frame);
    compressed[0] = 1;
    assert.equal(new UnaryResponseReader().push(compressed)?.code, 13);
    assert.equal(new UnaryResponseReader(3).push(frame)?.code, 8);
    assert.equal(new UnaryResponseReader().push(Buffer.concat([frame, frame]))?.code, 12);
    const partial = new UnaryResponseReader();
    partial.push(frame.subarray(0, 6));
    assert.equal((partial.finish() as { code: number }).code, 12);
  });

  test('parses grpc-status, percent-decodes grpc-message and keeps the details bytes', () => {
    assert.equal(statusFromMetadata({}), undefined);
    assert.equal(statusFromMetadata({ 'grpc-status': '0' }), null);
    const parsed = statusFromMetadata({
      'grpc-status': '5',
      'grpc-message': 'not %C3%BCber 100%25',
      'grpc-status-details-bin': Buffer.of(1, 2, 3).toString('base64').replace(/=+$/, ''),
    });
    assert.equal(parsed?.code, 5);
    assert.equal(parsed?.message, 'not über 100%');
    assert.deepEqual([...(parsed?.details ?? [])], [1, 2, 3]);
    assert.equal(statusFromMetadata({ 'grpc-status': '99' })?.code, 2);
    assert.equal(percentDecode('bad %E0%A4%A'), 'bad %E0%A4%A');
  });

  test('maps HTTP statuses and writes grpc-timeout in at most 8 digits', () => {
    assert.equal(statusFromHttp(503).code, 14);
    assert.equal(statusFromHttp(404).code, 12);
    assert.equal(statusFromHttp(400).code, 13);
    assert.equal(statusFromHttp(500).code, 2);
    assert.equal(timeoutHeader(30_000), '30000m');
    assert.equal(timeoutHeader(0.2), '1m');
    assert.equal(timeoutHeader(200_000_000), '200000S');
  });

  test('a closed stream ends with the status it carried, else its HTTP status, else its reset code', () => {
    const reset = { rstCode: 2, sessionLost: false, error: undefined }; // NGHTTP2_INTERNAL_ERROR
    const carried = { code: 5, message: 'not found' };
    assert.equal(statusAtClose(carried, 503, reset), carried);
    assert.equal(statusAtClose(null, 503, reset), null, 'OK carried: the message decides');
    assert.equal(statusAtClose(undefined, 503, reset)?.code, 14);
    assert.equal(statusAtClose(undefined, 200, reset)?.code, 13);
    assert.equal(statusAtClose(undefined, 0, { ...reset, sessionLost: true })?.code, 14);
    // NGHTTP2_CANCEL: CANCELLED from a live connection, as grpc-js reports it; UNAVAILABLE once the connection is gone.
    assert.equal(statusAtClose(undefined, 0, { ...reset, rstCode: 8 })?.code, 1);
    assert.equal(statusAtClose(undefined, 0, { ...reset, rstCode: 8, sessionLost: true })?.code, 14);
    assert.match(
      statusAtClose(undefined, 0, { ...reset, error: new Error('certificate required') })?.message ?? '',
      /certificate required/,
    );
  });
});

describe('Connection over a scripted HTTP/2 server', () => {
  const server = new ScriptedServer();
  let connection: Connection;

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    connection?.close();
    connection = Connection.connect({
      address: `127.0.0.1:${server.port}`,
      metadata: { authorization: 'Bearer x' },
      maxAttempts: 1,
    });
  });

  test('sends the gRPC request headers and framed body, and decodes a response sent in 1-byte DATA frames', async () => {
    let seen: http2.IncomingHttpHeaders | undefined;
    let body: Buffer | undefined;
    server.handler = (stream, headers, received) => {
      seen = headers;
      body = received;
      ok(stream, encodeFrame(responseBytes('split')), 1);
    };
    const response = await connection.call('getSystemInfo', {}, { namespace: 'ns1', timeoutMs: 5000 });
    assert.equal(response.serverVersion, 'split');
    assert.equal(seen?.[':method'], 'POST');
    assert.equal(seen?.[':path'], PATH);
    assert.equal(seen?.['content-type'], 'application/grpc');
    assert.equal(seen?.te, 'trailers');
    assert.match(String(seen?.['grpc-timeout']), /^\d{1,8}m$/);
    assert.ok(Number.parseInt(String(seen?.['grpc-timeout']), 10) <= 5000);
    assert.equal(seen?.['temporal-namespace'], 'ns1');
    assert.equal(seen?.authorization, 'Bearer x');
    assert.equal(seen?.['client-name'], 'odin-typescript');
    assert.deepEqual(body, encodeFrame(new Uint8Array(0)));
  });

  test('a trailers-only error carries its code, percent-decoded message and errordetails type', async () => {
    const details = Buffer.from(
      google.rpc.Status.encode({
        code: 5,
        message: 'gone',
        details: [
          {
            type_url: 'type.googleapis.com/temporal.api.errordetails.v1.NotFoundFailure',
            value: new Uint8Array(0),
          },
        ],
      }).finish(),
    ).toString('base64');
    server.handler = (stream) =>
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '5',
          'grpc-message': encodeURIComponent('workflow «x» not found'),
          'grpc-status-details-bin': details,
        },
        { endStream: true },
      );
    await assert.rejects(connection.call('getSystemInfo', {}), (error: unknown) => {
      failWith(error, 5);
      const failure = error as ServiceCallError;
      assert.equal(failure.message, 'workflow «x» not found');
      assert.equal(failure.details, 'temporal.api.errordetails.v1.NotFoundFailure');
      assert.equal(failure.method, 'GetSystemInfo');
      return true;
    });
  });

  test('an error in trailers after headers', async () => {
    server.handler = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '3', 'grpc-message': 'bad%20argument' }),
      );
      stream.end();
    };
    await assert.rejects(connection.call('getSystemInfo', {}), (error: unknown) => {
      failWith(error, 3);
      assert.equal((error as Error).message, 'bad argument');
      return true;
    });
  });

  test('an HTTP 503 without gRPC status is UNAVAILABLE', async () => {
    server.handler = (stream) => stream.respond({ ':status': 503 }, { endStream: true });
    await assert.rejects(connection.call('getSystemInfo', {}), (error: unknown) => failWith(error, 14));
  });

  test('a message over 128 MiB is RESOURCE_EXHAUSTED, a compressed one INTERNAL', async () => {
    server.handler = (stream) => {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(128 * 1024 * 1024 + 1, 1);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(head);
    };
    await assert.rejects(connection.call('getSystemInfo', {}), (error: unknown) => failWith(error, 8));
    server.handler = (stream) => {
      const frame = encodeFrame(responseBytes('z'));
      frame[0] = 1;
      ok(stream, frame);
    };
    await assert.rejects(connection.call('getSystemInfo', {}), (error: unknown) => failWith(error, 13));
  });

  test('the deadline cancels the stream and fails with DEADLINE_EXCEEDED', async () => {
    let cancelled: Promise<number> | undefined;
    server.handler = (stream) => {
      cancelled = new Promise((resolve) => stream.on('close', () => resolve(stream.rstCode)));
    };
    await assert.rejects(connection.call('getSystemInfo', {}, { timeoutMs: 150 }), (error: unknown) =>
      failWith(error, 4),
    );
    assert.equal(await cancelled, http2.constants.NGHTTP2_CANCEL);
  });

  test('an abort cancels the stream, rejects with the reason and leaves no listener behind', async () => {
    let cancelled: Promise<number> | undefined;
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    server.handler = (stream) => {
      cancelled = new Promise((resolve) => stream.on('close', () => resolve(stream.rstCode)));
      arrived();
    };
    const controller = new AbortController();
    const reason = new Error('stop');
    const call = connection.call('getSystemInfo', {}, { signal: controller.signal });
    await reached;
    controller.abort(reason);
    await assert.rejects(call, (error: unknown) => error === reason);
    assert.equal(await cancelled, http2.constants.NGHTTP2_CANCEL);

    const kept = new AbortController();
    server.handler = (stream) => ok(stream, encodeFrame(responseBytes('fine')));
    for (let i = 0; i < 20; i++) await connection.call('getSystemInfo', {}, { signal: kept.signal });
    assert.equal(getEventListeners(kept.signal, 'abort').length, 0);
  });
});

describe('Connection to a server without the multiplexed call stream', () => {
  test('the first call goes again as a unary call, and later calls go unary at once', async () => {
    const server = new ScriptedServer();
    await server.start();
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 1 });
    try {
      const paths: unknown[] = [];
      server.handler = (stream, headers) => {
        paths.push(headers[':path']);
        ok(stream, encodeFrame(responseBytes(`call ${paths.length}`)));
      };
      const [first, second] = await Promise.all([
        connection.call('getSystemInfo', {}),
        connection.call('getSystemInfo', {}),
      ]);
      assert.deepEqual([first.serverVersion, second.serverVersion].sort(), ['call 1', 'call 2']);
      assert.equal((await connection.call('getSystemInfo', {})).serverVersion, 'call 3');
      assert.equal(server.muxRefused, 1);
      assert.deepEqual(paths, [PATH, PATH, PATH]);
    } finally {
      connection.close();
      await server.stop();
    }
  });
});

describe('Connection across lost sessions', () => {
  test('a call whose session is destroyed is retried on a new session, and a restarted server is reached', async () => {
    const server = new ScriptedServer();
    await server.start();
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 3 });
    try {
      let calls = 0;
      server.handler = (stream) => {
        calls++;
        if (calls === 1) stream.session?.destroy();
        else ok(stream, encodeFrame(responseBytes(`call ${calls}`)));
      };
      assert.equal((await connection.call('getSystemInfo', {})).serverVersion, 'call 2');

      const port = server.port;
      await server.stop();
      await server.start(port);
      assert.equal((await connection.call('getSystemInfo', {})).serverVersion, 'call 3');
    } finally {
      connection.close();
      await server.stop();
    }
  });

  test('a process whose only pending work is a call waiting to retry stays alive until the call ends', async () => {
    // Nothing listens on the port: every attempt is refused, and between attempts only the backoff's timer is
    // pending. A timer that does not keep the process alive would let it exit (code 13) before the call ended.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const child = spawnSync(
      process.execPath,
      [
        '--conditions=@odin/source',
        '--import',
        'tsx',
        fileURLToPath(new URL('fixtures/call-refused.ts', import.meta.url)),
        String(port),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(child.stdout.trim(), 'code 14', child.stderr); // UNAVAILABLE
    assert.equal(child.status, 0, child.stderr);
  });

  test('a GOAWAY lets the call in flight finish and the next call opens a new session', async () => {
    const server = new ScriptedServer();
    await server.start();
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 1 });
    try {
      const sessions = new Set<http2.Http2Session>();
      server.handler = (stream) => {
        sessions.add(stream.session!);
        ok(stream, encodeFrame(responseBytes('before goaway')));
        stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
      };
      assert.equal((await connection.call('getSystemInfo', {})).serverVersion, 'before goaway');
      await new Promise((resolve) => setTimeout(resolve, 50));
      server.handler = (stream) => {
        sessions.add(stream.session!);
        ok(stream, encodeFrame(responseBytes('after goaway')));
      };
      assert.equal((await connection.call('getSystemInfo', {})).serverVersion, 'after goaway');
      assert.equal(sessions.size, 2);
    } finally {
      connection.close();
      await server.stop();
    }
  });
});
