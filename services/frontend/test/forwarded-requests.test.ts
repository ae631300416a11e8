// Which requests the frontend forwards as the bytes the client sent (asReceived, @odin/api): in a cluster those bytes
// reach history or matching as they are, so a request the frontend changed must never be marked. The roles here are
// in-process recorders; packages/api/test/internal-grpc.test.ts covers what the transport then sends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { credentials, type Client, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { encodeTaskToken, passedOnBytes, protoRoot } from '@odin/api';
import type { Type } from 'protobufjs';
import { FrontendService } from '../src/frontend-service.js';
import { grpcServiceDefinition, WORKFLOW_SERVICE } from '../src/grpc-service.js';
import { type Call, fakeHistory, fakeMatching, fixture } from './fakes.js';

const LIMIT = { timeout: 15_000 };

function requestType(method: string): Type {
  return protoRoot.lookupType(`temporal.api.workflowservice.v1.${method}Request`);
}

describe('requests the frontend forwards unchanged', () => {
  let frontend: FrontendService;
  let client: Client;
  const calls: Call[] = [];

  before(async () => {
    const f = await fixture({ realTime: true });
    await f.searchAttributes.addSearchAttributes('ns-default-id', [{ name: 'CustomerId', type: 'Keyword' }]);
    frontend = new FrontendService(f.ctx, {
      history: fakeHistory(calls, () => ({ runId: 'run-1' })),
      matching: fakeMatching(calls, () => ({})),
    });
    const port = await frontend.listen('127.0.0.1', 0);
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(WORKFLOW_SERVICE), 'WorkflowService');
    client = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await frontend.stop();
  });

  /** Sends `request` as `method` and returns what the role got: the bytes it would send on, and the request. */
  async function forwarded(method: string, request: object): Promise<{ bytes?: Buffer; req: object }> {
    const start = calls.length;
    const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!.bind(client);
    await new Promise((resolve, reject) =>
      fn(request, {}, (error: ServiceError | null, response: unknown) =>
        error ? reject(error) : resolve(response),
      ),
    );
    const call = calls[start];
    assert.ok(call, `${method} reached a role`);
    const req = call.req as object;
    const bytes = passedOnBytes(requestType(method), req);
    return bytes === undefined ? { req } : { bytes, req };
  }

  const start = {
    namespace: 'default',
    workflowId: 'wf-forwarded',
    workflowType: { name: 'Order' },
    taskQueue: { name: 'q' },
    identity: 'client-1',
  };

  test('a start with its own request id goes on as sent', LIMIT, async () => {
    const type = requestType('StartWorkflowExecution');
    const { bytes, req } = await forwarded('StartWorkflowExecution', { ...start, requestId: 'req-1' });
    assert.ok(bytes, 'the bytes the client sent go on');
    assert.deepEqual(type.toObject(type.decode(bytes)), type.toObject(type.fromObject(req)));
  });

  test('a start whose request id the frontend fills in is encoded anew', LIMIT, async () => {
    const { bytes, req } = await forwarded('StartWorkflowExecution', start);
    assert.equal(bytes, undefined);
    assert.ok((req as { requestId?: string }).requestId, 'history gets the filled-in id');
  });

  test('a start whose search attributes the frontend rewrites is encoded anew', LIMIT, async () => {
    const value = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"c-7"') };
    const { bytes } = await forwarded('StartWorkflowExecution', {
      ...start,
      requestId: 'req-2',
      searchAttributes: { indexedFields: { CustomerId: value } },
    });
    assert.equal(bytes, undefined);
  });

  test('a signal goes on as sent only with its own request id', LIMIT, async () => {
    const signal = {
      namespace: 'default',
      workflowExecution: { workflowId: 'wf-forwarded' },
      signalName: 'go',
    };
    assert.ok((await forwarded('SignalWorkflowExecution', { ...signal, requestId: 'sig-1' })).bytes);
    assert.equal((await forwarded('SignalWorkflowExecution', signal)).bytes, undefined);
  });

  test('task completions and polls go on as sent', LIMIT, async () => {
    const taskToken = encodeTaskToken({
      kind: 'activity',
      namespaceId: 'ns-default-id',
      workflowId: 'wf-forwarded',
      runId: 'run-1',
      scheduledEventId: 5,
      activityId: '1',
      attempt: 1,
    });
    assert.ok(
      (await forwarded('RespondActivityTaskCompleted', { namespace: 'default', taskToken, identity: 'w' }))
        .bytes,
    );
    assert.ok(
      (
        await forwarded('PollWorkflowTaskQueue', {
          namespace: 'default',
          taskQueue: { name: 'q' },
          identity: 'w',
        })
      ).bytes,
    );
  });
});
