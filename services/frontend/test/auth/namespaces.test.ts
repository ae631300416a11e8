import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import { INTERNAL_CREDENTIALS } from '../../src/auth/credentials.js';
import { WORKFLOW_SERVICE as W } from '../../src/grpc-service.js';
import {
  type AuthSetup,
  authEnv,
  authSetup,
  bearer,
  mintToken,
  NS_A,
  NS_B,
  statusOf,
  testKeys,
} from './fixtures.js';

describe('namespaces under authorization', () => {
  let setup: AuthSetup;
  let keys: Awaited<ReturnType<typeof testKeys>>;
  const as = async (permissions: string[], sub = 'caller') =>
    ({ credentials: bearer(await mintToken(keys.trusted, permissions, { sub })) }) as const;

  before(async () => {
    keys = await testKeys();
    setup = await authSetup(authEnv(keys.keyFile));
  });

  const names = (response: object) =>
    ((response as { namespaces: { namespaceInfo: { name: string } }[] }).namespaces ?? []).map(
      (n) => n.namespaceInfo.name,
    );

  test('ListNamespaces lists only the namespaces the caller holds a role in; system roles see all', async () => {
    assert.deepEqual(names(await setup.frontend.invoke(W, 'ListNamespaces', {}, await as(['ns-a:read']))), [
      'ns-a',
    ]);
    assert.deepEqual(
      names(await setup.frontend.invoke(W, 'ListNamespaces', {}, await as(['ns-a:worker', 'ns-b:admin']))),
      ['ns-a', 'ns-b'],
    );
    assert.deepEqual(
      names(await setup.frontend.invoke(W, 'ListNamespaces', {}, await as(['elsewhere:admin']))),
      [],
    );
    assert.deepEqual(
      names(await setup.frontend.invoke(W, 'ListNamespaces', {}, await as(['temporal-system:read']))),
      ['default', 'ns-a', 'ns-b'],
    );
    assert.equal(await statusOf(setup.frontend.invoke(W, 'ListNamespaces', {})), status.UNAUTHENTICATED);
  });

  test('DescribeNamespace by id is checked against the namespace the id names, and ids cannot be probed', async () => {
    const reader = await as(['ns-a:read']);
    const described = (await setup.frontend.invoke(W, 'DescribeNamespace', { id: NS_A.id }, reader)) as {
      namespaceInfo: { name: string };
    };
    assert.equal(described.namespaceInfo.name, 'ns-a');
    const refusals = [
      await setup.frontend
        .invoke(W, 'DescribeNamespace', { id: NS_B.id }, reader)
        .catch((e: ServiceError) => e),
      // An id of no namespace looks the same as one of a namespace the caller may not see.
      await setup.frontend
        .invoke(W, 'DescribeNamespace', { id: 'no-such-id' }, reader)
        .catch((e: ServiceError) => e),
      // The id wins over the name, as it does in the handler.
      await setup.frontend
        .invoke(W, 'DescribeNamespace', { id: NS_B.id, namespace: 'ns-a' }, reader)
        .catch((e: ServiceError) => e),
    ];
    for (const refusal of refusals) {
      assert.ok(refusal instanceof ServiceError);
      assert.equal(refusal.code, status.PERMISSION_DENIED);
      assert.doesNotMatch(refusal.message, /ns-b/);
    }
    assert.equal(
      await statusOf(
        setup.frontend.invoke(
          W,
          'DescribeNamespace',
          { id: 'no-such-id' },
          await as(['temporal-system:read']),
        ),
      ),
      status.NOT_FOUND,
    );
  });

  test('another tenant’s namespace cannot be changed, and the refusal tells nothing about it', async () => {
    const adminA = await as(['ns-a:admin']);
    const refusal = await setup.frontend
      .invoke(W, 'UpdateNamespace', { namespace: 'ns-b', updateInfo: { description: 'pwned' } }, adminA)
      .catch((e: ServiceError) => e);
    assert.ok(refusal instanceof ServiceError);
    assert.equal(refusal.code, status.PERMISSION_DENIED);
    assert.equal(
      refusal.message,
      'Request unauthorized: UpdateNamespace needs the admin role in namespace "ns-b".',
    );
    assert.equal(setup.namespaces.rows.get(NS_B.id)?.description, 'the ns-b namespace');
    await setup.frontend.invoke(
      W,
      'UpdateNamespace',
      { namespace: 'ns-a', updateInfo: { description: 'ours' } },
      adminA,
    );
    assert.equal(setup.namespaces.rows.get(NS_A.id)?.description, 'ours');
  });

  test('a refusal for a namespace that does not exist looks like one for a namespace that does', async () => {
    const reader = await as(['ns-a:read']);
    const [existing, missing] = await Promise.all(
      ['ns-b', 'no-such-namespace'].map((namespace) =>
        setup.frontend
          .invoke(W, 'DescribeWorkflowExecution', { namespace, execution: { workflowId: 'wf' } }, reader)
          .catch((e: ServiceError) => e),
      ),
    );
    assert.ok(existing instanceof ServiceError && missing instanceof ServiceError);
    assert.equal(existing.code, missing.code);
    assert.equal(existing.message.replace('ns-b', 'X'), missing.message.replace('no-such-namespace', 'X'));
  });

  test('commands and operations naming another namespace need write access there too', async () => {
    const workerA = await as(['ns-a:worker']);
    const crossCommands = {
      namespace: 'ns-a',
      commands: [
        {
          commandType: 11,
          startChildWorkflowExecutionCommandAttributes: { namespace: 'ns-b', workflowId: 'c' },
        },
      ],
    };
    const refusal = await setup.frontend
      .invoke(W, 'RespondWorkflowTaskCompleted', crossCommands, workerA)
      .catch((e: ServiceError) => e);
    assert.ok(refusal instanceof ServiceError);
    assert.equal(refusal.code, status.PERMISSION_DENIED);
    assert.match(refusal.message, /another namespace.*"ns-b"/);

    for (const operation of [
      { startWorkflow: { namespace: 'ns-b' } },
      { updateWorkflow: { namespace: 'ns-b' } },
    ]) {
      const code = await statusOf(
        setup.frontend.invoke(
          W,
          'ExecuteMultiOperation',
          { namespace: 'ns-a', operations: [operation] },
          await as(['ns-a:write']),
        ),
      );
      assert.equal(code, status.PERMISSION_DENIED);
    }
  });

  test('GetSystemInfo and health answer without credentials unless that is switched off', async () => {
    assert.equal(await statusOf(setup.frontend.invoke(W, 'GetSystemInfo', {})), status.OK);
    const closed = await authSetup(
      authEnv(keys.keyFile, { HUGO_ORCHESTRATOR_AUTH_ALLOW_UNAUTHENTICATED_HEALTH: 'false' }),
    );
    assert.equal(await statusOf(closed.frontend.invoke(W, 'GetSystemInfo', {})), status.UNAUTHENTICATED);
    assert.equal(await statusOf(closed.frontend.invoke(W, 'GetSystemInfo', {}, await as([]))), status.OK);
  });

  test('a method outside every table is refused before it is found unimplemented', async () => {
    assert.equal(await statusOf(setup.frontend.invoke(W, 'NoSuchMethod', {})), status.UNAUTHENTICATED);
    assert.equal(
      await statusOf(setup.frontend.invoke(W, 'NoSuchMethod', {}, await as(['ns-a:admin']))),
      status.PERMISSION_DENIED,
    );
    assert.equal(
      await statusOf(setup.frontend.invoke(W, 'NoSuchMethod', {}, await as(['temporal-system:admin']))),
      status.UNIMPLEMENTED,
    );
  });

  test('the server’s own in-process callers hold the system admin role; a copy of their credentials does not', async () => {
    const request = { namespace: 'ns-b', updateInfo: { description: 'the ns-b namespace' } };
    assert.equal(
      await statusOf(
        setup.frontend.invoke(W, 'UpdateNamespace', request, { credentials: INTERNAL_CREDENTIALS }),
      ),
      status.OK,
    );
    assert.equal(
      await statusOf(
        setup.frontend.invoke(W, 'UpdateNamespace', request, { credentials: { ...INTERNAL_CREDENTIALS } }),
      ),
      status.UNAUTHENTICATED,
    );
  });

  test('a bearer token when the server verifies none is refused rather than ignored', async () => {
    const tlsOnly = await authSetup({
      HUGO_ORCHESTRATOR_AUTH_TLS_SUBJECT_MAP: JSON.stringify({ 'worker-a': ['ns-a:worker'] }),
    });
    const tokenAndCertificate = {
      credentials: { bearerToken: 'x.y.z', tlsPeer: { subject: 'CN=worker-a', sans: [] } },
    };
    assert.equal(
      await statusOf(
        tlsOnly.frontend.invoke(W, 'DescribeNamespace', { namespace: 'ns-a' }, tokenAndCertificate),
      ),
      status.UNAUTHENTICATED,
    );
    assert.equal(
      await statusOf(
        tlsOnly.frontend.invoke(
          W,
          'DescribeNamespace',
          { namespace: 'ns-a' },
          {
            credentials: { tlsPeer: { subject: 'CN=worker-a', sans: [] } },
          },
        ),
      ),
      status.OK,
    );
  });
});
