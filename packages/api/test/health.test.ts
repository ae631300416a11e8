// grpc.health.v1 on an internal port, through a real grpc-js client: per-service status, NOT_FOUND for a name the
// port does not serve, Watch streaming every change and ending when the server stops.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Client,
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  type ServiceError as GrpcError,
  status,
} from '@grpc/grpc-js';
import {
  HISTORY_SERVICE,
  HealthStatuses,
  healthServiceDefinition,
  type InternalServer,
  MATCHING_SERVICE,
  ServingStatus,
  startInternalServer,
} from '../src/index.js';

/** The generic client's methods, typed. */
interface HealthMethods {
  Check(
    request: { service: string },
    callback: (error: GrpcError | null, response?: { status: number }) => void,
  ): void;
  Watch(request: { service: string }): ClientReadableStream<{ status: number }>;
}

const LIMIT = { timeout: 15_000 };

function healthClient(port: number): Client {
  const Ctor = makeGenericClientConstructor(healthServiceDefinition(), 'Health');
  return new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
}

function check(client: Client, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    (client as unknown as HealthMethods).Check(
      { service },
      (error: GrpcError | null, response?: { status: number }) =>
        error ? reject(error) : resolve(response?.status ?? -1),
    );
  });
}

/** Opens a Watch and collects what it streams; `next(n)` resolves once n statuses arrived. */
function watch(client: Client, service: string) {
  const seen: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const stream = (client as unknown as HealthMethods).Watch({
    service,
  });
  stream.on('data', (message: { status: number }) => {
    seen.push(message.status);
    for (const w of waiters.splice(0)) {
      if (seen.length >= w.n) w.resolve();
      else waiters.push(w);
    }
  });
  const ended = new Promise<GrpcError | undefined>((resolve) => {
    stream.on('error', (error: GrpcError) => resolve(error));
    stream.on('end', () => resolve(undefined));
  });
  stream.on('error', () => {});
  return {
    seen,
    stream,
    ended,
    next: (n: number) =>
      seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}

describe('HealthStatuses', () => {
  test('every name starts NOT_SERVING; unknown names are undefined; watchers hear changes only', () => {
    const statuses = new HealthStatuses(['a']);
    assert.deepEqual(statuses.services, ['', 'a']);
    assert.equal(statuses.check(''), ServingStatus.NOT_SERVING);
    assert.equal(statuses.check('b'), undefined);
    const heard: number[] = [];
    let closed = false;
    const stop = statuses.watch(
      'a',
      (s) => heard.push(s),
      () => {
        closed = true;
      },
    );
    statuses.set('a', ServingStatus.SERVING);
    statuses.set('a', ServingStatus.SERVING);
    statuses.setAll(ServingStatus.NOT_SERVING);
    assert.deepEqual(heard, [ServingStatus.NOT_SERVING, ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    stop();
    statuses.set('a', ServingStatus.SERVING);
    assert.equal(heard.length, 3, 'no longer heard after unsubscribing');
    statuses.closeWatches();
    assert.equal(closed, false, 'an unsubscribed watcher is not closed again');
    let lateClosed = false;
    const late: number[] = [];
    statuses.watch(
      'a',
      (st) => late.push(st),
      () => {
        lateClosed = true;
      },
    );
    assert.deepEqual(late, [ServingStatus.SERVING]);
    assert.equal(lateClosed, true, 'a Watch after closeWatches is answered and ended at once');
  });
});

describe('grpc.health.v1 on an internal server', () => {
  let server: InternalServer;
  let client: Client;

  before(async () => {
    server = await startInternalServer({ host: '127.0.0.1', port: 0, history: {} as never });
    client = healthClient(server.port);
  });

  after(async () => {
    client.close();
    await server.stop(1_000);
  });

  test(
    'Check: NOT_SERVING until marked ready, then SERVING; NOT_FOUND for a service the port does not serve',
    LIMIT,
    async () => {
      assert.equal(await check(client, ''), ServingStatus.NOT_SERVING);
      assert.equal(await check(client, HISTORY_SERVICE), ServingStatus.NOT_SERVING);
      server.health.setAll(ServingStatus.SERVING);
      assert.equal(await check(client, ''), ServingStatus.SERVING);
      assert.equal(await check(client, HISTORY_SERVICE), ServingStatus.SERVING);
      await assert.rejects(
        check(client, MATCHING_SERVICE),
        (error: GrpcError) => error.code === status.NOT_FOUND,
      );
      await assert.rejects(
        check(client, 'no.such.Service'),
        (error: GrpcError) => error.code === status.NOT_FOUND,
      );
    },
  );

  test(
    'Watch streams the current status, every change, and SERVICE_UNKNOWN for an unknown name',
    LIMIT,
    async () => {
      server.health.setAll(ServingStatus.SERVING);
      const history = watch(client, HISTORY_SERVICE);
      await history.next(1);
      server.health.set(HISTORY_SERVICE, ServingStatus.NOT_SERVING);
      await history.next(2);
      server.health.set(HISTORY_SERVICE, ServingStatus.SERVING);
      await history.next(3);
      assert.deepEqual(history.seen, [
        ServingStatus.SERVING,
        ServingStatus.NOT_SERVING,
        ServingStatus.SERVING,
      ]);

      const unknown = watch(client, 'no.such.Service');
      await unknown.next(1);
      assert.deepEqual(unknown.seen, [ServingStatus.SERVICE_UNKNOWN]);
      unknown.stream.cancel();
      history.stream.cancel();
    },
  );

  test('stopping the server turns a watched service NOT_SERVING and ends the stream', LIMIT, async () => {
    const own = await startInternalServer({ host: '127.0.0.1', port: 0, matching: {} as never });
    const ownClient = healthClient(own.port);
    try {
      own.health.setAll(ServingStatus.SERVING);
      const watched = watch(ownClient, '');
      await watched.next(1);
      await own.stop(5_000);
      await watched.ended;
      assert.deepEqual(watched.seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    } finally {
      ownClient.close();
    }
  });
});
