// The frontend's gRPC port as a client sees it on the wire: framing, encodings, size limit, unknown methods,
// trailers-only errors, cancellation, deadlines, idle GOAWAY and graceful stop. Written against the port's
// behaviour with grpc-js's server (these tests pass on it too), which the hand-written server keeps.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import { google, type MatchingApi } from '@odin/api';
import { FrontendService } from '../../src/frontend-service.js';
import { grpcServiceDefinition, WORKFLOW_SERVICE } from '../../src/grpc-service.js';
import { type Call, fakeHistory, fixture } from '../fakes.js';
import { codecs, POLL, type Poll, pollingMatching, request, started, until } from './port-fixtures.js';
import { frame, rawCall, session, statusOf } from './raw-client.js';

describe('the frontend gRPC port on the wire', () => {
  let frontend: FrontendService;
  let port: number;
  const calls: Call[] = [];

  before(async () => {
    const f = await fixture({ realTime: true });
    frontend = new FrontendService(f.ctx, {
      history: fakeHistory(calls, () => ({ runId: 'r' })),
      matching: {} as MatchingApi,
    });
    port = await frontend.listen('127.0.0.1', 0, { maxRequestBytes: 64 * 1024 });
  });

  after(() => frontend.stop(100));

  test('an answer is headers, one framed message and trailers with grpc-status 0', async () => {
    const client = session(port);
    try {
      const response = await rawCall(client, 'GetSystemInfo', frame(Buffer.alloc(0))).response;
      assert.equal(response.headers[':status'], 200);
      assert.equal(response.headers['content-type'], 'application/grpc+proto');
      assert.equal(response.trailers?.['grpc-status'], '0');
      assert.equal(response.data[0], 0, 'not compressed');
      assert.equal(response.data.readUInt32BE(1), response.data.length - 5, 'one whole message');
      const decoded = codecs
        .get('GetSystemInfo')!
        .responseType.decode(response.data.subarray(5)) as unknown as {
        serverVersion: string;
      };
      assert.ok(decoded.serverVersion.length > 0);
    } finally {
      client.close();
    }
  });

  test('gzip and deflate requests are served; an unknown encoding of a compressed message is UNIMPLEMENTED', async () => {
    const client = session(port);
    try {
      const describe = request('DescribeNamespace', { namespace: 'default' });
      for (const [encoding, compress] of [
        ['gzip', gzipSync],
        ['deflate', deflateSync],
      ] as const) {
        const response = await rawCall(client, 'DescribeNamespace', frame(compress(describe), true), {
          'grpc-encoding': encoding,
        }).response;
        assert.deepEqual(statusOf(response), { code: 0, message: 'OK' }, encoding);
      }
      // An uncompressed message is read as is whatever the header says (grpc-js reads the flag).
      const plain = await rawCall(client, 'DescribeNamespace', frame(describe), { 'grpc-encoding': 'br' })
        .response;
      assert.equal(statusOf(plain).code, 0);
      const unknown = await rawCall(client, 'DescribeNamespace', frame(describe, true), {
        'grpc-encoding': 'br',
      }).response;
      assert.deepEqual(statusOf(unknown), {
        code: status.UNIMPLEMENTED,
        message: 'Received message compressed with unsupported encoding "br"',
      });
      // A gzip message that decompresses past the request limit.
      const bomb = await rawCall(client, 'DescribeNamespace', frame(gzipSync(Buffer.alloc(200_000)), true), {
        'grpc-encoding': 'gzip',
      }).response;
      assert.equal(statusOf(bomb).code, status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
  });

  test('a request over the size limit is refused from its length prefix, before its body is sent', async () => {
    const client = session(port);
    try {
      const before = calls.length;
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(10 * 1024 * 1024, 1);
      // Only the prefix, and the stream left open: the answer cannot wait for the body.
      const response = await rawCall(client, 'StartWorkflowExecution', prefix, {}, { keepOpen: true })
        .response;
      assert.deepEqual(statusOf(response), {
        code: status.RESOURCE_EXHAUSTED,
        message: `Received message larger than max (${10 * 1024 * 1024} vs ${64 * 1024})`,
      });
      assert.equal(calls.length, before, 'no handler ran');
    } finally {
      client.close();
    }
  });

  test('an unknown method or service is UNIMPLEMENTED naming the path', async () => {
    const client = session(port);
    try {
      for (const path of [`/${WORKFLOW_SERVICE}/NoSuchMethod`, '/no.such.Service/Method']) {
        const response = await rawCall(client, '', frame(Buffer.alloc(0)), {}, { path }).response;
        assert.deepEqual(statusOf(response), {
          code: status.UNIMPLEMENTED,
          message: `The server does not implement the method ${path}`,
        });
        assert.equal(response.trailers, undefined, 'trailers-only');
      }
    } finally {
      client.close();
    }
  });

  test('an error is a trailers-only response with its message and grpc-status-details-bin', async () => {
    const client = session(port);
    try {
      const response = await rawCall(
        client,
        'DescribeNamespace',
        frame(request('DescribeNamespace', { namespace: 'missing ns' })),
      ).response;
      assert.equal(response.trailers, undefined);
      assert.equal(response.data.length, 0);
      assert.equal(response.headers[':status'], 200);
      assert.equal(response.headers['grpc-status'], String(status.NOT_FOUND));
      assert.match(String(response.headers['grpc-message']), /missing%20ns/, 'percent-encoded');
      const details = google.rpc.Status.decode(
        Buffer.from(String(response.headers['grpc-status-details-bin']), 'base64'),
      );
      assert.equal(details.code, status.NOT_FOUND);
      assert.equal(
        details.details[0]?.type_url,
        'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure',
      );
    } finally {
      client.close();
    }
  });

  test('a call with another content type is answered 415; an invalid grpc-timeout is INTERNAL', async () => {
    const client = session(port);
    try {
      const wrongType = await rawCall(client, 'GetSystemInfo', frame(Buffer.alloc(0)), {
        'content-type': 'application/json',
      }).response;
      assert.equal(wrongType.headers[':status'], 415);
      const badTimeout = await rawCall(client, 'GetSystemInfo', frame(Buffer.alloc(0)), {
        'grpc-timeout': 'soon',
      }).response;
      assert.deepEqual(statusOf(badTimeout), {
        code: status.INTERNAL,
        message: 'Invalid grpc-timeout value "soon"',
      });
    } finally {
      client.close();
    }
  });

  test('two request messages, or none, are UNIMPLEMENTED', async () => {
    const client = session(port);
    try {
      const empty = frame(Buffer.alloc(0));
      const two = await rawCall(client, 'GetSystemInfo', Buffer.concat([empty, empty])).response;
      assert.equal(statusOf(two).code, status.UNIMPLEMENTED);
      const none = await rawCall(client, 'GetSystemInfo', Buffer.alloc(0)).response;
      assert.equal(statusOf(none).code, status.UNIMPLEMENTED);
    } finally {
      client.close();
    }
  });
});

describe('cancellation, deadlines and connections of the frontend gRPC port', () => {
  test('a client reset aborts the running long poll', async (t) => {
    const polls: Poll[] = [];
    const { port } = await started(t, pollingMatching(polls));
    const client = session(port);
    try {
      const pending = rawCall(client, 'PollWorkflowTaskQueue', frame(POLL), { 'grpc-timeout': '30S' });
      await until(() => polls.length === 1, 'the poll reached matching');
      assert.ok(
        Math.abs(polls[0]!.deadline! - (Date.now() + 30_000)) < 1000,
        'the deadline reached the poll',
      );
      assert.equal(polls[0]!.signal.aborted, false);
      pending.cancel();
      await until(() => polls[0]!.signal.aborted, 'the poll was aborted');
      assert.equal((polls[0]!.signal.reason as { code?: number }).code, status.CANCELLED);
    } finally {
      client.close();
    }
  });

  test('a deadline a month or years away is a deadline, not one that has already passed', async (t) => {
    const polls: Poll[] = [];
    const { port } = await started(t, pollingMatching(polls));
    const client = session(port);
    try {
      for (const [i, [timeout, ms]] of (
        [
          ['720H', 720 * 3_600_000],
          ['99999999H', 99_999_999 * 3_600_000],
        ] as const
      ).entries()) {
        const pending = rawCall(client, 'PollWorkflowTaskQueue', frame(POLL), { 'grpc-timeout': timeout });
        await until(() => polls.length === i + 1, 'the poll reached matching');
        assert.ok(Math.abs(polls[i]!.deadline! - (Date.now() + ms)) < 1000, `${timeout}: the deadline`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(polls[i]!.signal.aborted, false, `${timeout}: the poll still waits`);
        pending.cancel();
        await until(() => polls[i]!.signal.aborted, 'the poll was aborted');
      }
    } finally {
      client.close();
    }
  });

  test('an answered call is not aborted when its stream closes', async (t) => {
    const polls: Poll[] = [];
    const { port } = await started(
      t,
      pollingMatching(polls, async () => ({})),
    );
    const client = session(port);
    try {
      const response = await rawCall(client, 'PollWorkflowTaskQueue', frame(POLL)).response;
      assert.equal(statusOf(response).code, 0);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(polls[0]!.signal.aborted, false);
    } finally {
      client.close();
    }
  });

  test('when the deadline passes the call is DEADLINE_EXCEEDED and its work aborted', async (t) => {
    const polls: Poll[] = [];
    const { port } = await started(t, pollingMatching(polls));
    const client = session(port);
    try {
      const response = await rawCall(client, 'PollWorkflowTaskQueue', frame(POLL), { 'grpc-timeout': '150m' })
        .response;
      assert.deepEqual(statusOf(response), { code: status.DEADLINE_EXCEEDED, message: 'Deadline exceeded' });
      await until(() => polls[0]?.signal.aborted === true, 'the poll was aborted');
    } finally {
      client.close();
    }
  });

  test('stop sends GOAWAY; a call in flight still gets its answer within the grace', async (t) => {
    const polls: Poll[] = [];
    // The poll answers 200 ms after it starts whatever its signal says (stop aborts it at once).
    const matching = pollingMatching(
      polls,
      () => new Promise((resolve) => setTimeout(() => resolve({}), 200)),
    );
    const { frontend, port } = await started(t, matching);
    const client = session(port);
    try {
      const goaway = once(client, 'goaway');
      const pending = rawCall(client, 'PollWorkflowTaskQueue', frame(POLL));
      await until(() => polls.length === 1, 'the poll reached matching');
      const begun = Date.now();
      const stopped = frontend.stop(5_000);
      await goaway;
      const response = await pending.response;
      assert.deepEqual(statusOf(response), { code: 0, message: 'OK' });
      await stopped;
      assert.ok(Date.now() - begun < 2_000, 'stop did not wait for the grace once the call ended');
      // A new call on the connection is refused.
      const late = rawCall(client, 'GetSystemInfo', frame(Buffer.alloc(0)));
      assert.ok((await late.response).rstCode !== 0 || client.destroyed || client.closed);
    } finally {
      client.destroy();
    }
  });

  test('stop resets a call still running at the end of the grace', async (t) => {
    const polls: Poll[] = [];
    // A handler that ignores its signal and never answers.
    const { frontend, port } = await started(t, pollingMatching(polls));
    const client = session(port);
    try {
      const pending = rawCall(client, 'PollWorkflowTaskQueue', frame(POLL));
      await until(() => polls.length === 1, 'the poll reached matching');
      const begun = Date.now();
      await frontend.stop(300);
      const elapsed = Date.now() - begun;
      assert.ok(elapsed >= 250 && elapsed < 3_000, `stop took ${elapsed} ms`);
      const response = await pending.response;
      // The stop aborted the poll (UNAVAILABLE): the fake's promise never settles, so only the reset ends the call.
      assert.equal(response.trailers, undefined);
      assert.equal(response.headers['grpc-status'], undefined);
    } finally {
      client.destroy();
    }
  });

  test('keepalive pings without calls, every 100 ms, are answered and never end the connection', async (t) => {
    // grpc-js 1.14's server enforces no ping policy (it reads neither keepalive_permit_without_calls nor
    // min_ping_interval_without_data_ms): a client pinging often is answered, as here.
    const { port } = await started(t, {} as MatchingApi);
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(WORKFLOW_SERVICE), 'WorkflowService');
    const client = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 100,
      'grpc.keepalive_timeout_ms': 1000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    const getSystemInfo = () =>
      new Promise<void>((resolve, reject) =>
        (client as unknown as Record<string, (...args: unknown[]) => void>).GetSystemInfo!.call(
          client,
          {},
          (error: Error | null) => (error ? reject(error) : resolve()),
        ),
      );
    try {
      await getSystemInfo();
      const channel = client.getChannel();
      await new Promise((r) => setTimeout(r, 1_000));
      // Still the same ready connection: no GOAWAY (ENHANCE_YOUR_CALM or other) made the channel reconnect.
      assert.equal(channel.getConnectivityState(false), 2 /* READY */);
      await getSystemInfo();
    } finally {
      client.close();
    }
  });

  test('an idle connection gets GOAWAY only once its last call has ended', async (t) => {
    const polls: Poll[] = [];
    const matching = pollingMatching(
      polls,
      () => new Promise((resolve) => setTimeout(() => resolve({}), 600)),
    );
    const { port } = await started(t, matching, { connectionIdleTimeoutMs: 200 });
    const client = session(port);
    try {
      let goawayAt = 0;
      client.once('goaway', () => {
        goawayAt = Date.now();
      });
      const response = await rawCall(client, 'PollWorkflowTaskQueue', frame(POLL)).response;
      const answeredAt = Date.now();
      assert.equal(statusOf(response).code, 0);
      assert.equal(goawayAt, 0, 'no GOAWAY while the call ran past the idle timeout');
      await until(() => goawayAt > 0, 'GOAWAY once idle');
      assert.ok(goawayAt - answeredAt >= 150, 'after a whole idle timeout');
    } finally {
      client.destroy();
    }
  });
});
