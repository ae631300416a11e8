// Connection's calls on the server's multiplexed call stream, against a scripted node:http2 server that speaks the
// stream frame by frame: the metadata split between the stream's headers and each call, answers by id, errors with
// their details, the deadline and the signal sent on as CANCEL, a stream the server ends with a call unanswered
// (UNAVAILABLE, retried on a new stream), and requests too large for the stream sent as unary calls.
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  CLIENT_MUX_PATH,
  encodeMuxMessage,
  GrpcMessageReader,
  google,
  MUX_BATCH,
  MUX_BATCH_METADATA,
  MUX_CALL,
  MUX_CANCEL,
  MUX_ERROR,
  MUX_MAX_REQUEST_BYTES,
  MUX_OK,
  type MuxFrame,
  muxBatchFrames,
  muxFrameHeader,
  parseMuxFrame,
  protoRoot,
} from '@odin/api/public';
import { Connection } from '../src/client/connection.js';
import { ServiceCallError } from '../src/client/errors.js';
import { encodeFrame } from '../src/client/grpc-wire.js';

const PATH = '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo';
const responseType = protoRoot.lookupType('temporal.api.workflowservice.v1.GetSystemInfoResponse');

function responseBytes(serverVersion: string): Buffer {
  return Buffer.from(responseType.encode(responseType.fromObject({ serverVersion })).finish());
}

interface ReceivedCall {
  readonly stream: MuxServerStream;
  readonly id: number;
  readonly header: { p?: string; d?: number; h?: Record<string, string> };
  readonly body: Buffer;
}

/** The server side of one multiplexed stream: what it received, and answers written by the test. */
class MuxServerStream {
  readonly frames: MuxFrame[] = [];
  /** How many gRPC messages carried those frames. */
  messages = 0;
  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly headers: http2.IncomingHttpHeaders,
  ) {}
  ok(id: number, body: Uint8Array): void {
    this.stream.write(encodeMuxMessage(MUX_OK, id, undefined, body));
  }
  error(id: number, code: number, message: string, details: Uint8Array): void {
    this.stream.write(encodeMuxMessage(MUX_ERROR, id, { s: code, e: message }, details));
  }
  /** Ends the stream with status OK (a stopping server). */
  end(): void {
    this.stream.end();
  }
}

class ScriptedMuxServer {
  onCall: (call: ReceivedCall) => void = () => {};
  /** Answer a client that reads batches that this server reads them too. */
  readsBatches = false;
  readonly streams: MuxServerStream[] = [];
  readonly unaryPaths: string[] = [];
  private server: http2.Http2Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      if (headers[':path'] !== CLIENT_MUX_PATH) {
        this.unaryPaths.push(String(headers[':path']));
        stream.resume();
        stream.on('end', () => {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(encodeFrame(responseBytes('unary')));
        });
        return;
      }
      const mux = new MuxServerStream(stream, headers);
      this.streams.push(mux);
      const batching = this.readsBatches && headers[MUX_BATCH_METADATA] === '1';
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          ...(batching ? { [MUX_BATCH_METADATA]: '1' } : {}),
        },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const reader = new GrpcMessageReader(1 << 26, () => new Error('too large'));
      stream.on('data', (chunk: Buffer) => {
        for (const message of reader.push(chunk)) {
          mux.messages++;
          const parsed = parseMuxFrame(message.bytes)!;
          for (const frame of parsed.kind === MUX_BATCH ? muxBatchFrames(parsed)! : [parsed]) {
            mux.frames.push({ ...frame, body: Buffer.from(frame.body) });
            if (frame.kind === MUX_CALL)
              this.onCall({
                stream: mux,
                id: frame.id,
                header: muxFrameHeader(frame),
                body: Buffer.from(frame.body),
              });
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      for (const mux of this.streams) mux.stream.session?.destroy();
    });
  }
}

describe('Connection on the multiplexed call stream', () => {
  const server = new ScriptedMuxServer();
  before(() => server.start());
  after(() => server.stop());

  test("the connection's metadata goes once in the stream's headers; a call sends its path, deadline and what differs", async () => {
    const connection = Connection.connect({
      address: `127.0.0.1:${server.port}`,
      metadata: { Authorization: 'Bearer x' },
      maxAttempts: 1,
    });
    try {
      const calls: ReceivedCall[] = [];
      server.onCall = (call) => {
        calls.push(call);
        // Answered in the reverse order of arrival once both are in.
        if (calls.length === 2)
          for (const c of [...calls].reverse()) c.stream.ok(c.id, responseBytes(`answer ${c.id}`));
      };
      const [first, second] = await Promise.all([
        connection.call('getSystemInfo', {}, { timeoutMs: 5_000 }),
        connection.call('getSystemInfo', {}, { namespace: 'ns', metadata: { authorization: 'Bearer y' } }),
      ]);
      assert.equal(first.serverVersion, `answer ${calls[0]!.id}`);
      assert.equal(second.serverVersion, `answer ${calls[1]!.id}`);
      assert.equal(server.streams.length, 1, 'one stream for both calls');
      const headers = server.streams[0]!.headers;
      assert.equal(headers.authorization, 'Bearer x');
      assert.equal(headers['client-name'], 'odin-typescript');
      assert.equal(calls[0]!.header.p, PATH);
      assert.ok(calls[0]!.header.d! > 4_000 && calls[0]!.header.d! <= 5_000, 'milliseconds to the deadline');
      assert.equal(calls[0]!.header.h, undefined, 'nothing differs');
      assert.deepEqual(calls[1]!.header.h, { authorization: 'Bearer y', 'temporal-namespace': 'ns' });
      assert.equal(connection.multiplexing, true);
      assert.deepEqual(server.unaryPaths, []);
    } finally {
      connection.close();
    }
  });

  for (const readsBatches of [true, false]) {
    test(
      readsBatches
        ? 'the calls of one turn go as one message once the server says it reads batches'
        : 'a server that does not say it reads batches is sent one frame per message',
      async () => {
        server.readsBatches = readsBatches;
        const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 1 });
        try {
          server.onCall = (call) => call.stream.ok(call.id, responseBytes(`answer ${call.id}`));
          // The first call opens the stream; the server's response headers have arrived once it is answered.
          await connection.call('getSystemInfo', {});
          const mux = server.streams.at(-1)!;
          assert.equal(mux.headers[MUX_BATCH_METADATA], '1', 'the client says it reads batches');
          const before = mux.messages;
          const answers = await Promise.all(
            Array.from({ length: 10 }, () => connection.call('getSystemInfo', {})),
          );
          assert.equal(new Set(answers.map((a) => a.serverVersion)).size, 10);
          assert.equal(mux.messages - before, readsBatches ? 1 : 10);
        } finally {
          server.readsBatches = false;
          connection.close();
        }
      },
    );
  }

  test('an ERROR frame is a ServiceCallError with its code, message and errordetails type', async () => {
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 1 });
    try {
      const details = google.rpc.Status.encode({
        code: status.NOT_FOUND,
        message: 'gone',
        details: [
          {
            type_url: 'type.googleapis.com/temporal.api.errordetails.v1.NotFoundFailure',
            value: new Uint8Array(),
          },
        ],
      }).finish();
      server.onCall = (call) => call.stream.error(call.id, status.NOT_FOUND, 'workflow gone', details);
      await assert.rejects(connection.call('getSystemInfo', {}), (error: unknown) => {
        assert.ok(error instanceof ServiceCallError);
        assert.equal(error.code, status.NOT_FOUND);
        assert.equal(error.message, 'workflow gone');
        assert.equal(error.details, 'temporal.api.errordetails.v1.NotFoundFailure');
        return true;
      });
    } finally {
      connection.close();
    }
  });

  test('a passed deadline and an aborted signal end the call and send CANCEL for it', async () => {
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 1 });
    try {
      const calls: ReceivedCall[] = [];
      server.onCall = (call) => calls.push(call);
      await assert.rejects(connection.call('getSystemInfo', {}, { timeoutMs: 100 }), (error: unknown) => {
        assert.ok(error instanceof ServiceCallError);
        assert.equal(error.code, status.DEADLINE_EXCEEDED);
        return true;
      });
      const controller = new AbortController();
      const aborted = connection.call('getSystemInfo', {}, { signal: controller.signal, timeoutMs: 10_000 });
      while (calls.length < 2) await new Promise((r) => setTimeout(r, 5));
      controller.abort(new Error('stop it'));
      await assert.rejects(aborted, /stop it/);
      const mux = calls[1]!.stream;
      while (mux.frames.filter((f) => f.kind === MUX_CANCEL).length < 2)
        await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(
        mux.frames.filter((f) => f.kind === MUX_CANCEL).map((f) => f.id),
        calls.map((c) => c.id),
      );
    } finally {
      connection.close();
    }
  });

  test('a stream the server ends with a call unanswered fails it UNAVAILABLE; the retry goes on a new stream', async () => {
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 2 });
    try {
      const before = server.streams.length;
      let calls = 0;
      server.onCall = (call) => {
        calls++;
        if (calls === 1) call.stream.end();
        else call.stream.ok(call.id, responseBytes('second stream'));
      };
      assert.equal((await connection.call('getSystemInfo', {})).serverVersion, 'second stream');
      assert.equal(server.streams.length, before + 2);
    } finally {
      connection.close();
    }
  });

  test('a request larger than the stream carries goes as a unary call of its own', async () => {
    const connection = Connection.connect({ address: `127.0.0.1:${server.port}`, maxAttempts: 1 });
    try {
      server.onCall = () => assert.fail('not on the stream');
      // The scripted unary answer decodes as the signal's (empty) response: its one field is unknown there.
      await connection.call('signalWorkflowExecution', { namespace: 'x'.repeat(MUX_MAX_REQUEST_BYTES + 1) });
      assert.deepEqual(server.unaryPaths, [
        '/temporal.api.workflowservice.v1.WorkflowService/SignalWorkflowExecution',
      ]);
    } finally {
      connection.close();
    }
  });
});
