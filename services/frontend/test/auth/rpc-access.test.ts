import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protoRoot } from '@odin/api';
import { ACCESS_CLASSES, accessOf, RPC_ACCESS } from '../../src/auth/rpc-access.js';
import { HEALTH_SERVICE, OPERATOR_SERVICE, WORKFLOW_SERVICE } from '../../src/grpc-service.js';

test('every method of every served service is classified, and the tables name no other method', () => {
  for (const service of [WORKFLOW_SERVICE, OPERATOR_SERVICE, HEALTH_SERVICE]) {
    const methods = Object.keys(protoRoot.lookupService(service).methods).sort();
    const table = RPC_ACCESS.get(service);
    assert.ok(table, service);
    assert.deepEqual(Object.keys(table).sort(), methods, service);
    for (const method of methods) assert.ok(ACCESS_CLASSES.includes(accessOf(service, method)!), method);
  }
});

test('only health calls are open, and namespace management is the system admin’s', () => {
  const open = [...RPC_ACCESS].flatMap(([service, table]) =>
    Object.entries(table)
      .filter(([, access]) => access === 'health')
      .map(([method]) => `${service.slice(service.lastIndexOf('.') + 1)}/${method}`),
  );
  assert.deepEqual(open.sort(), ['Health/Check', 'Health/Watch', 'WorkflowService/GetSystemInfo']);
  for (const method of ['RegisterNamespace', 'DeprecateNamespace']) {
    assert.equal(accessOf(WORKFLOW_SERVICE, method), 'system');
  }
  assert.equal(accessOf(OPERATOR_SERVICE, 'DeleteNamespace'), 'system');
  assert.equal(accessOf(WORKFLOW_SERVICE, 'UpdateNamespace'), 'admin');
});

test('a method no table knows has no class (and is refused)', () => {
  assert.equal(accessOf(WORKFLOW_SERVICE, 'toString'), undefined);
  assert.equal(accessOf(WORKFLOW_SERVICE, 'NoSuchMethod'), undefined);
  assert.equal(accessOf('some.other.Service', 'GetSystemInfo'), undefined);
});
