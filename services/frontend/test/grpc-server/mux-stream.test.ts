// The frontend's multiplexed call stream as a client sees it on the wire: many calls on one stream answered by id,
// each with its own metadata, deadline, cancellation, size limit and status; the stream kept across calls, ended
// by a stop or an idle GOAWAY once its calls have answered, and its calls aborted when the client resets it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { google, type MatchingApi } from '@odin/api';
import { CLIENT_MUX_PATH, MUX_BATCH_METADATA } from '@odin/api/public';
import { WORKFLOW_SERVICE } from '../../src/grpc-service.js';
import { codecs, POLL, type Poll, pollingMatching, request, started, until } from './port-fixtures.js';
import { RawMuxStream, session } from './raw-client.js';

const path = (method: string) => `/${WORKFLOW_SERVICE}/${method}`;
const EMPTY = Buffer.alloc(0);

test('calls on one stream are answered by id as they finish; the stream stays open between them', async (t) => {
  const polls: Poll[] = [];
  let release: () => void = () => undefined;
  const released = new Promise<object>((resolve) => {
    release = () => resolve({});
  });
  const { port } = await started(
    t,
    pollingMatching(polls, () => released),
  );
  const client = session(port);
  try {
    const mux = new RawMuxStream(client, { 'x-correlation-id': 'from-stream' });
    assert.equal((await mux.headers)[':status'], 200);
    assert.equal((await mux.headers)['grpc-status'], undefined, 'the stream is served, not refused');
    const poll = mux.call(7, { p: path('PollWorkflowTaskQueue'), d: 30_000 }, POLL);
    await until(() => polls.length === 1, 'the poll reached matching');
    // A call sent after the poll is answered before it.
    const info = await mux.call(8, { p: path('GetSystemInfo') }, EMPTY);
    assert.equal(info.kind, 'ok');
    const decoded = codecs.get('GetSystemInfo')!.responseType.decode(info.kind === 'ok' ? info.body : EMPTY);
    assert.ok((decoded as { serverVersion?: string }).serverVersion);
    release();
    assert.equal((await poll).kind, 'ok');
    assert.ok(Math.abs(polls[0]!.deadline! - (Date.now() + 30_000)) < 1000, 'the deadline reached the poll');
    assert.equal(polls[0]!.correlationId, 'from-stream', "the stream's metadata is the call's");
    // A call's own metadata goes over the stream's.
    assert.equal(
      (await mux.call(9, { p: path('PollWorkflowTaskQueue'), h: { 'x-correlation-id': 'own' } }, POLL)).kind,
      'ok',
    );
    assert.equal(polls[1]!.correlationId, 'own');
    // Later calls get their own metadata again, whether it was seen before or not.
    assert.equal((await mux.call(10, { p: path('PollWorkflowTaskQueue') }, POLL)).kind, 'ok');
    const own = { p: path('PollWorkflowTaskQueue'), h: { 'x-correlation-id': 'own' } };
    assert.equal((await mux.call(11, own, POLL)).kind, 'ok');
    const other = { p: path('PollWorkflowTaskQueue'), h: { 'x-correlation-id': 'other' } };
    assert.equal((await mux.call(12, other, POLL)).kind, 'ok');
    assert.deepEqual(
      polls.slice(2).map((poll) => poll.correlationId),
      ['from-stream', 'own', 'other'],
    );
    assert.equal(
      polls[0]!.signal.aborted || polls[1]!.signal.aborted,
      false,
      'answered calls are not aborted',
    );
  } finally {
    client.close();
  }
});

test('a client that reads batches is told the server does too, and gets the answers of one turn in one message', async (t) => {
  const { port } = await started(t, {} as MatchingApi);
  const client = session(port);
  try {
    const mux = new RawMuxStream(client, { [MUX_BATCH_METADATA]: '1' });
    assert.equal((await mux.headers)[MUX_BATCH_METADATA], '1');
    const calls = Array.from({ length: 20 }, (_, i) => ({
      id: i + 1,
      header: { p: path('GetSystemInfo') },
      body: EMPTY,
    }));
    // The client's own batch is read: twenty calls in one message, each answered.
    const answers = await mux.callBatch(calls);
    assert.deepEqual(
      answers.map((a) => a.kind),
      Array(20).fill('ok'),
    );
    assert.ok(mux.batches >= 1 && mux.messages < 20, `20 answers in ${mux.messages} messages`);
  } finally {
    client.close();
  }
});

test('a client that does not say it reads batches gets one frame per message', async (t) => {
  const { port } = await started(t, {} as MatchingApi);
  const client = session(port);
  try {
    const mux = new RawMuxStream(client);
    assert.equal((await mux.headers)[MUX_BATCH_METADATA], undefined);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mux.call(i + 1, { p: path('GetSystemInfo') }, EMPTY)),
    );
    assert.equal(answers.filter((a) => a.kind === 'ok').length, 20);
    assert.equal(mux.messages, 20);
    assert.equal(mux.batches, 0);
  } finally {
    client.close();
  }
});

test('a failure is an ERROR frame with its code, message and status details; unknown and oversized calls fail alone', async (t) => {
  const { port } = await started(t, {} as MatchingApi, { maxRequestBytes: 64 * 1024 });
  const client = session(port);
  try {
    const mux = new RawMuxStream(client);
    const missing = await mux.call(
      1,
      { p: path('DescribeNamespace') },
      request('DescribeNamespace', { namespace: 'missing ns' }),
    );
    assert.equal(missing.kind, 'error');
    if (missing.kind !== 'error') return;
    assert.equal(missing.code, status.NOT_FOUND);
    assert.match(missing.message, /missing ns/);
    const details = google.rpc.Status.decode(missing.details);
    assert.equal(
      details.details[0]?.type_url,
      'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure',
    );
    for (const unknown of [path('NoSuchMethod'), '/grpc.health.v1.Health/Watch', CLIENT_MUX_PATH]) {
      assert.deepEqual(await mux.call(2, { p: unknown }, EMPTY), {
        kind: 'error',
        code: status.UNIMPLEMENTED,
        message: `The server does not implement the method ${unknown}`,
        details: EMPTY,
      });
    }
    const oversized = await mux.call(3, { p: path('GetSystemInfo') }, Buffer.alloc(64 * 1024 + 1));
    assert.equal(oversized.kind === 'error' && oversized.code, status.RESOURCE_EXHAUSTED);
    assert.equal((await mux.call(4, { p: path('GetSystemInfo') }, EMPTY)).kind, 'ok', 'the stream goes on');
  } finally {
    client.close();
  }
});

test('CANCEL aborts the call it names; a passed deadline is DEADLINE_EXCEEDED and aborts the work', async (t) => {
  const polls: Poll[] = [];
  const { port } = await started(t, pollingMatching(polls));
  const client = session(port);
  try {
    const mux = new RawMuxStream(client);
    const cancelled = mux.call(1, { p: path('PollWorkflowTaskQueue'), d: 30_000 }, POLL);
    const other = mux.call(2, { p: path('PollWorkflowTaskQueue'), d: 30_000 }, POLL);
    await until(() => polls.length === 2, 'both polls reached matching');
    mux.cancel(1);
    await until(() => polls[0]!.signal.aborted, 'the cancelled poll was aborted');
    assert.equal((polls[0]!.signal.reason as { code?: number }).code, status.CANCELLED);
    assert.equal(polls[1]!.signal.aborted, false, 'only the call named');
    let settled = false;
    void cancelled.then(() => {
      settled = true;
    });
    const timed = await mux.call(3, { p: path('PollWorkflowTaskQueue'), d: 150 }, POLL);
    assert.deepEqual(timed, {
      kind: 'error',
      code: status.DEADLINE_EXCEEDED,
      message: 'Deadline exceeded',
      details: EMPTY,
    });
    await until(() => polls[2]?.signal.aborted === true, 'the timed-out poll was aborted');
    assert.equal(settled, false, 'a cancelled call gets no answer');
    void other;
  } finally {
    client.close();
  }
});

test('a client reset of the stream aborts every call on it', async (t) => {
  const polls: Poll[] = [];
  const { port } = await started(t, pollingMatching(polls));
  const client = session(port);
  try {
    const mux = new RawMuxStream(client);
    void mux.call(1, { p: path('PollWorkflowTaskQueue') }, POLL);
    void mux.call(2, { p: path('PollWorkflowTaskQueue') }, POLL);
    await until(() => polls.length === 2, 'both polls reached matching');
    mux.stream.close(0x8);
    await until(() => polls.every((poll) => poll.signal.aborted), 'both polls were aborted');
  } finally {
    client.close();
  }
});

test('stop: GOAWAY, calls in flight answered, new calls UNAVAILABLE, then the stream ends with OK', async (t) => {
  const polls: Poll[] = [];
  // The poll answers 200 ms after it starts whatever its signal says (stop aborts it at once).
  const matching = pollingMatching(polls, () => new Promise((resolve) => setTimeout(() => resolve({}), 200)));
  const { frontend, port } = await started(t, matching);
  const client = session(port);
  try {
    const mux = new RawMuxStream(client);
    const goaway = once(client, 'goaway');
    const inFlight = mux.call(1, { p: path('PollWorkflowTaskQueue') }, POLL);
    await until(() => polls.length === 1, 'the poll reached matching');
    const begun = Date.now();
    const stopped = frontend.stop(5_000);
    await goaway;
    const late = await mux.call(2, { p: path('GetSystemInfo') }, EMPTY);
    assert.equal(late.kind === 'error' && late.code, status.UNAVAILABLE);
    assert.equal((await inFlight).kind, 'ok');
    const { trailers } = await mux.closed;
    assert.equal(trailers?.['grpc-status'], '0');
    await stopped;
    assert.ok(Date.now() - begun < 2_000, 'stop did not wait for the grace once the call ended');
  } finally {
    client.destroy();
  }
});

test('a connection whose stream has no call in flight gets GOAWAY once idle, and the stream ends', async (t) => {
  const polls: Poll[] = [];
  const matching = pollingMatching(polls, () => new Promise((resolve) => setTimeout(() => resolve({}), 400)));
  const { port } = await started(t, matching, { connectionIdleTimeoutMs: 200 });
  const client = session(port);
  try {
    let goawayAt = 0;
    client.once('goaway', () => {
      goawayAt = Date.now();
    });
    const mux = new RawMuxStream(client);
    assert.equal((await mux.call(1, { p: path('PollWorkflowTaskQueue') }, POLL)).kind, 'ok');
    const answeredAt = Date.now();
    assert.equal(goawayAt, 0, 'no GOAWAY while the call ran past the idle timeout');
    const { trailers } = await mux.closed;
    assert.equal(trailers?.['grpc-status'], '0');
    assert.ok(goawayAt - answeredAt >= 150, 'after a whole idle timeout');
  } finally {
    client.destroy();
  }
});
