import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Long from 'long';
import { status } from '@grpc/grpc-js';
import {
  type CallContext,
  createHistoryClient,
  type HistoryPeerApi,
  type InternalServer,
  type NamespaceRef,
  ServiceError,
  startInternalServer,
} from '../src/index.js';

const NS: NamespaceRef = { id: 'ns-id', name: 'orders' };
const ctx = (): CallContext => ({ signal: new AbortController().signal });
const payload = (text: string) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(text),
});

/** Plain JSON of whatever arrived (Long, Uint8Array and protobuf classes flattened) for deep comparison. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (v && typeof v === 'object' && 'low' in v && 'high' in v) return String(v);
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') {
        return Buffer.from((v as { data: number[] }).data).toString('base64');
      }
      return v;
    }),
  );
}

describe('internal gRPC transport: history peer calls', () => {
  const calls: { method: string; ns: NamespaceRef; req: unknown }[] = [];
  let server: InternalServer;
  let client: ReturnType<typeof createHistoryClient>;

  before(async () => {
    const record =
      (method: string, answer: unknown = undefined) =>
      async (ns: NamespaceRef, req: unknown) => {
        calls.push({ method, ns, req });
        if (
          method === 'deliverExternal' &&
          (req as { targetWorkflowId: string }).targetWorkflowId === 'gone'
        ) {
          throw ServiceError.notFound('The target workflow execution is closed.');
        }
        return answer;
      };
    const peers: HistoryPeerApi = {
      startChildExecution: record('startChildExecution', {
        runId: 'child-run',
      }) as HistoryPeerApi['startChildExecution'],
      recordChildExecutionCompleted: record(
        'recordChildExecutionCompleted',
      ) as HistoryPeerApi['recordChildExecutionCompleted'],
      applyParentClosePolicy: record('applyParentClosePolicy') as HistoryPeerApi['applyParentClosePolicy'],
      deliverExternal: record('deliverExternal') as HistoryPeerApi['deliverExternal'],
    };
    server = await startInternalServer({ host: '127.0.0.1', port: 0, history: peers as never });
    client = createHistoryClient(`127.0.0.1:${server.port}`);
  });

  after(async () => {
    client.close();
    await server.stop(1_000);
  });

  test('startChildExecution carries the parent, request id and initiated attributes and returns the run id', async () => {
    const req = {
      parent: {
        namespaceId: 'ns-id',
        namespace: 'orders',
        workflowId: 'parent',
        runId: 'p-run',
        initiatedEventId: 5,
      },
      requestId: 'child:p-run:5',
      attributes: {
        namespace: 'orders',
        workflowId: 'child-1',
        workflowType: { name: 'childWorkflow' },
        taskQueue: { name: 'q' },
        input: { payloads: [payload('"x"')] },
        parentClosePolicy: 2,
      },
    };
    const res = await client.startChildExecution(NS, req, ctx());
    assert.equal(res.runId, 'child-run');
    const call = calls.at(-1)!;
    assert.equal(call.method, 'startChildExecution');
    assert.deepEqual(call.ns, NS);
    const got = call.req as typeof req;
    // Enums arrive as numbers (a decoded message's JSON form would show names, so compare them apart).
    assert.equal(got.attributes.parentClosePolicy, 2);
    const { parentClosePolicy: _sent, ...sentAttributes } = req.attributes;
    const { parentClosePolicy: _got, ...gotAttributes } = got.attributes;
    assert.deepEqual(
      plain({ ...got, attributes: gotAttributes }),
      plain({ ...req, attributes: sentAttributes }),
    );
  });

  test('recordChildExecutionCompleted carries the completion event', async () => {
    const req = {
      parentWorkflowId: 'parent',
      parentRunId: 'p-run',
      initiatedEventId: 5,
      childRunId: 'child-run',
      completionEvent: {
        eventId: Long.fromNumber(9),
        eventType: 2,
        workflowExecutionCompletedEventAttributes: { result: { payloads: [payload('"done"')] } },
      },
    };
    assert.equal(await client.recordChildExecutionCompleted(NS, req, ctx()), undefined);
    const call = calls.at(-1)!;
    assert.equal(call.method, 'recordChildExecutionCompleted');
    const got = call.req as typeof req;
    assert.equal(got.initiatedEventId, 5);
    assert.equal(got.childRunId, 'child-run');
    assert.deepEqual(
      plain(got.completionEvent.workflowExecutionCompletedEventAttributes),
      plain(req.completionEvent.workflowExecutionCompletedEventAttributes),
    );
  });

  test('applyParentClosePolicy and deliverExternal arrive as sent; NOT_FOUND comes back as NOT_FOUND', async () => {
    const policy = { workflowId: 'child-1', runId: 'c-run', parentRunId: 'p-run', policy: 3 };
    await client.applyParentClosePolicy(NS, policy, ctx());
    assert.deepEqual(calls.at(-1)!.req, policy);
    const signal = {
      kind: 'signal' as const,
      targetWorkflowId: 'target',
      targetRunId: '',
      sourceWorkflowId: 'source',
      sourceRunId: 's-run',
      initiatedEventId: 7,
      childWorkflowOnly: false,
      signalName: 'go',
      input: { payloads: [payload('1')] },
    };
    await client.deliverExternal(NS, signal, ctx());
    assert.deepEqual(plain(calls.at(-1)!.req), plain(signal));
    const cancel = { ...signal, kind: 'cancel' as const, targetWorkflowId: 'gone', reason: 'stop' };
    delete (cancel as { signalName?: string }).signalName;
    delete (cancel as { input?: unknown }).input;
    await assert.rejects(
      client.deliverExternal(NS, cancel, ctx()),
      (e: ServiceError) => e.code === status.NOT_FOUND,
    );
    assert.deepEqual(calls.at(-1)!.req, cancel);
  });
});
