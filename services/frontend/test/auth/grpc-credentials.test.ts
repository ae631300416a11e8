import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { google, temporal } from '@odin/api';
import type { FrontendService } from '../../src/frontend-service.js';
import { type GrpcCallError, TemporalGrpcClient } from '../../src/grpc-client.js';
import { encodeMessage, HEALTH_SERVICE, methodCodecs, WORKFLOW_SERVICE } from '../../src/grpc-service.js';
import { RawMuxStream, session } from '../grpc-server/raw-client.js';
import { authEnv, authSetup, mintToken, testKeys } from './fixtures.js';

/** The bearer token travels as gRPC metadata `authorization`, through the real gRPC adapter. */
describe('authorization over gRPC', () => {
  let frontend: FrontendService;
  let client: TemporalGrpcClient;
  let health: TemporalGrpcClient;
  let keys: Awaited<ReturnType<typeof testKeys>>;
  let port: number;

  before(async () => {
    keys = await testKeys();
    ({ frontend } = await authSetup(authEnv(keys.keyFile)));
    port = await frontend.listen('127.0.0.1', 0);
    client = new TemporalGrpcClient(`127.0.0.1:${port}`);
    health = new TemporalGrpcClient(`127.0.0.1:${port}`, HEALTH_SERVICE);
  });

  after(async () => {
    client.close();
    health.close();
    await frontend.stop(100);
  });

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail('expected the call to fail'),
      (error: GrpcCallError) => error,
    );

  test('a token in the authorization metadata is what the call is judged by', async () => {
    const reader = `Bearer ${await mintToken(keys.trusted, ['ns-a:read'], { sub: 'reader' })}`;
    const described = await client.call(
      'DescribeNamespace',
      { namespace: 'ns-a' },
      { metadata: { authorization: reader } },
    );
    assert.equal((described.namespaceInfo as { name: string }).name, 'ns-a');

    const denied = await failure(
      client.call('DescribeNamespace', { namespace: 'ns-b' }, { metadata: { authorization: reader } }),
    );
    assert.equal(denied.code, status.PERMISSION_DENIED);
    assert.match(denied.details, /Request unauthorized: DescribeNamespace needs/);
    // Temporal's PermissionDeniedFailure rides in grpc-status-details-bin, where the SDKs look for it.
    const details = google.rpc.Status.decode(denied.metadata.get('grpc-status-details-bin')[0] as Buffer);
    assert.equal(
      details.details[0]?.type_url,
      'type.googleapis.com/temporal.api.errordetails.v1.PermissionDeniedFailure',
    );
    const detail = temporal.api.errordetails.v1.PermissionDeniedFailure.decode(details.details[0]!.value!);
    assert.match(detail.reason, /needs the reader, worker, writer or admin role in namespace "ns-b"/);

    const anonymous = await failure(client.call('DescribeNamespace', { namespace: 'ns-a' }));
    assert.equal(anonymous.code, status.UNAUTHENTICATED);
    const forged = await failure(
      client.call(
        'DescribeNamespace',
        { namespace: 'ns-a' },
        { metadata: { authorization: 'Bearer not.a.token' } },
      ),
    );
    assert.equal(forged.code, status.UNAUTHENTICATED);
  });

  test('GetSystemInfo and the gRPC health check answer without credentials', async () => {
    assert.ok((await client.call('GetSystemInfo', {})).serverVersion);
    assert.equal((await health.call('Check', {})).status, 1);
  });

  test("on the multiplexed call stream each call is judged by its own credentials: the stream's, or its own over them", async () => {
    const reader = `Bearer ${await mintToken(keys.trusted, ['ns-a:read'], { sub: 'reader' })}`;
    const describe = methodCodecs(WORKFLOW_SERVICE).find((codec) => codec.name === 'DescribeNamespace')!;
    const body = (namespace: string) => encodeMessage(describe.requestType, { namespace });
    const p = `/${WORKFLOW_SERVICE}/DescribeNamespace`;
    const connection = session(port);
    try {
      const withToken = new RawMuxStream(connection, { authorization: reader });
      assert.equal((await withToken.call(1, { p }, body('ns-a'))).kind, 'ok');
      const denied = await withToken.call(2, { p }, body('ns-b'));
      assert.equal(denied.kind === 'error' && denied.code, status.PERMISSION_DENIED);
      const details = google.rpc.Status.decode(denied.kind === 'error' ? denied.details : Buffer.alloc(0));
      assert.equal(
        details.details[0]?.type_url,
        'type.googleapis.com/temporal.api.errordetails.v1.PermissionDeniedFailure',
      );
      const forged = await withToken.call(3, { p, h: { authorization: 'Bearer not.a.token' } }, body('ns-a'));
      assert.equal(forged.kind === 'error' && forged.code, status.UNAUTHENTICATED);

      const anonymous = new RawMuxStream(connection);
      const refused = await anonymous.call(1, { p }, body('ns-a'));
      assert.equal(refused.kind === 'error' && refused.code, status.UNAUTHENTICATED);
      assert.equal((await anonymous.call(2, { p, h: { authorization: reader } }, body('ns-a'))).kind, 'ok');
    } finally {
      connection.close();
    }
  });
});
