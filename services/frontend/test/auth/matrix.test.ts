import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { RPC_ACCESS } from '../../src/auth/rpc-access.js';
import { type AuthSetup, authEnv, authSetup, statusOf, testKeys } from './fixtures.js';
import { expectedVerdict, type Identity, identities } from './identities.js';

const NAMESPACES = ['ns-a', 'ns-b'];

/**
 * Identity × RPC × namespace: every method of every table, each identity, on ns-a and ns-b. A refused cell must be
 * UNAUTHENTICATED or PERMISSION_DENIED as the model says and reach neither history nor matching; an allowed cell
 * must end exactly as the same call ends on a frontend without authorization.
 */
describe('authorization matrix', () => {
  let secured: AuthSetup;
  let open: AuthSetup;
  let callers: Identity[];

  before(async () => {
    const { keyFile } = await testKeys();
    secured = await authSetup(authEnv(keyFile));
    open = await authSetup({});
    callers = await identities();
  });

  for (const [service, table] of RPC_ACCESS) {
    const short = service.slice(service.lastIndexOf('.') + 1);
    test(`${short}: every method × identity × namespace`, async () => {
      let cells = 0;
      for (const [method, access] of Object.entries(table)) {
        for (const namespace of NAMESPACES) {
          const request = () => ({ namespace });
          const baseline = await statusOf(open.frontend.invoke(service, method, request()));
          for (const identity of callers) {
            const reached = secured.historyCalls.length + secured.matchingCalls.length;
            const got = await statusOf(
              secured.frontend.invoke(service, method, request(), {
                ...(identity.credentials ? { credentials: identity.credentials } : {}),
              }),
            );
            const verdict = expectedVerdict(identity, access, namespace);
            const expected =
              verdict === 'allowed'
                ? baseline
                : verdict === 'unauthenticated'
                  ? status.UNAUTHENTICATED
                  : status.PERMISSION_DENIED;
            assert.equal(
              got,
              expected,
              `${method} (${access}) on ${namespace} by ${identity.name}: got ${status[got]}, expected ${status[expected]}`,
            );
            if (verdict !== 'allowed') {
              assert.equal(
                secured.historyCalls.length + secured.matchingCalls.length,
                reached,
                `${method} by ${identity.name} was refused but reached history or matching`,
              );
            }
            cells++;
          }
        }
      }
      assert.ok(cells >= Object.keys(table).length * NAMESPACES.length * callers.length);
    });
  }
});
