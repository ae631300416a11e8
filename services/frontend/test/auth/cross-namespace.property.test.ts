import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { bindTaskToken, encodeTaskToken, ServiceError } from '@odin/api';
import fc from 'fast-check';
import type { CallerCredentials } from '../../src/auth/credentials.js';
import { RPC_ACCESS } from '../../src/auth/rpc-access.js';
import { WORKFLOW_SERVICE as W } from '../../src/grpc-service.js';
import { type AuthSetup, authEnv, authSetup, mintToken, NS_A, NS_B, testKeys } from './fixtures.js';

const KEY = Buffer.from(authEnv('').HUGO_ORCHESTRATOR_AUTH_TASK_TOKEN_KEY!, 'utf8');
const METHODS = [...RPC_ACCESS].flatMap(([service, table]) =>
  Object.keys(table).map((method) => ({ service, method })),
);

/** Task tokens of ns-b an attacker could hold: leaked from ns-b's worker, made up, or re-labelled. */
function tokensOfB(): Uint8Array[] {
  const activity = encodeTaskToken({
    kind: 'activity',
    namespaceId: NS_B.id,
    workflowId: 'wf-b',
    runId: 'run-b',
    scheduledEventId: 5,
    activityId: '1',
    attempt: 1,
  });
  const workflow = encodeTaskToken({
    kind: 'workflow',
    namespaceId: NS_B.id,
    workflowId: 'wf-b',
    runId: 'run-b',
    scheduledEventId: 2,
    startedEventId: 3,
    attempt: 1,
  });
  const query = encodeTaskToken({ kind: 'query', namespaceId: NS_B.id, queryId: 'q-b' });
  return [
    activity,
    workflow,
    query,
    bindTaskToken(activity, 'jwt:worker-b', KEY),
    bindTaskToken(workflow, 'jwt:worker-b', KEY),
    bindTaskToken(query, 'jwt:worker-b', KEY),
  ];
}

/**
 * Whatever a caller without a role on ns-b sends — any method, ns-b named by name (or a look-alike), by id, through
 * a task token, a command or an operation — nothing of ns-b reaches history or matching, no answer carries ns-b's
 * data, and ns-b's record does not change.
 */
describe('no cross-namespace success (property)', () => {
  let setup: AuthSetup;
  let outsiders: { name: string; credentials: CallerCredentials | undefined }[];
  let insider: CallerCredentials;

  before(async () => {
    const keys = await testKeys();
    // What reaches the fake roles is recorded with its resolved namespace; namespace answers come from the store.
    setup = await authSetup(authEnv(keys.keyFile));
    const token = async (
      permissions: string[],
      sub: string,
      options: { nowS?: number; key?: typeof keys.other } = {},
    ) => ({
      bearerToken: await mintToken(options.key ?? keys.trusted, permissions, { sub, ...options }),
    });
    outsiders = [
      { name: 'none', credentials: undefined },
      { name: 'reader a', credentials: await token(['ns-a:read'], 'reader-a') },
      { name: 'writer a', credentials: await token(['ns-a:write'], 'writer-a') },
      { name: 'worker a', credentials: await token(['ns-a:worker'], 'worker-a') },
      { name: 'admin a', credentials: await token(['ns-a:admin'], 'admin-a') },
      {
        name: 'look-alike namespaces',
        credentials: await token(['ns-B:admin', 'ns-b-:admin', ' ns-b :admin'], 'x'),
      },
      { name: 'default admin', credentials: await token(['default:admin'], 'default-admin') },
      {
        name: 'expired root',
        credentials: await token(['temporal-system:admin'], 'root', { nowS: 1_000_000 }),
      },
      {
        name: 'root by another key',
        credentials: await token(['temporal-system:admin'], 'root', { key: keys.other }),
      },
      { name: 'worker-b’s subject with a’s roles', credentials: await token(['ns-a:admin'], 'worker-b') },
      {
        name: 'certificate of worker a',
        credentials: { tlsPeer: { subject: 'CN=worker-a.example', sans: [] } },
      },
      { name: 'unmapped certificate', credentials: { tlsPeer: { subject: 'CN=ns-b', sans: ['DNS:ns-b'] } } },
    ];
    insider = await token(['ns-b:admin'], 'worker-b');
  });

  const requestArbitrary = fc.record(
    {
      namespace: fc.constantFrom('ns-b', 'ns-B', ' ns-b', 'ns-b ', 'ns-a', 'default', '', 'ns-b\u0000'),
      id: fc.constantFrom(NS_B.id, NS_A.id, 'NS-B-ID'),
      taskToken: fc.constantFrom(...tokensOfB()),
      execution: fc.record({
        workflowId: fc.constantFrom('wf-b', 'wf-a'),
        runId: fc.constantFrom('run-b', ''),
      }),
      taskQueue: fc.constant({ name: 'q' }),
      workflowId: fc.constantFrom('wf-b', 'wf-a'),
      activityId: fc.constant('1'),
      workflowType: fc.constant({ name: 't' }),
      commands: fc.constant([
        {
          commandType: 11,
          startChildWorkflowExecutionCommandAttributes: { namespace: 'ns-b', workflowId: 'c' },
        },
        { commandType: 12, signalExternalWorkflowExecutionCommandAttributes: { namespace: 'ns-b' } },
      ]),
      operations: fc.constant([
        { startWorkflow: { namespace: 'ns-b' } },
        { updateWorkflow: { namespace: 'ns-b' } },
      ]),
    },
    { requiredKeys: [] },
  );

  const reachedB = () =>
    [...setup.historyCalls, ...setup.matchingCalls].filter(
      (c) => c.ns.id === NS_B.id || c.ns.name === 'ns-b',
    );
  const leaks = (response: unknown) => {
    const text = JSON.stringify(response, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString() : v,
    );
    return text.includes(NS_B.id) || text.includes('the ns-b namespace') || text.includes('"ns-b"');
  };

  test('the oracle sees a call that does reach ns-b', async () => {
    const response = await setup.frontend.invoke(
      W,
      'DescribeNamespace',
      { namespace: 'ns-b' },
      { credentials: insider },
    );
    assert.ok(leaks(response));
    await setup.frontend.invoke(
      W,
      'DescribeWorkflowExecution',
      { namespace: 'ns-b', execution: { workflowId: 'wf-b' } },
      {
        credentials: insider,
      },
    );
    assert.equal(reachedB().length, 1);
    setup.historyCalls.length = 0;
  });

  test('no identity without a role on ns-b ever gets ns-b answered', async () => {
    const bRecord = JSON.stringify(setup.namespaces.rows.get(NS_B.id));
    let outcomes = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: outsiders.length - 1 }),
        fc.constantFrom(...METHODS),
        requestArbitrary,
        async (who, { service, method }, request) => {
          const outsider = outsiders[who]!;
          setup.historyCalls.length = 0;
          setup.matchingCalls.length = 0;
          let response: unknown;
          try {
            response = await setup.frontend.invoke(service, method, request, {
              ...(outsider.credentials ? { credentials: outsider.credentials } : {}),
            });
          } catch (error) {
            if (!(error instanceof ServiceError)) throw error;
            assert.doesNotMatch(error.message, /ns-b-id|the ns-b namespace/, `${method} by ${outsider.name}`);
          }
          outcomes++;
          assert.deepEqual(
            reachedB(),
            [],
            `${method} by ${outsider.name} reached ns-b: ${JSON.stringify(request)}`,
          );
          if (response !== undefined)
            assert.ok(!leaks(response), `${method} by ${outsider.name} answered with ns-b`);
        },
      ),
      { numRuns: 3000, seed: 13 },
    );
    assert.equal(outcomes, 3000);
    assert.equal(JSON.stringify(setup.namespaces.rows.get(NS_B.id)), bRecord, 'ns-b is unchanged');
  });
});
