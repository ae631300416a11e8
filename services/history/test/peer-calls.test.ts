import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ServiceError, temporal } from '@odin/api';
import type {
  ApplyParentClosePolicyRequest,
  CallContext,
  DeliverExternalRequest,
  HistoryPeerApi,
  NamespaceRef,
  RecordChildExecutionCompletedRequest,
  StartChildExecutionRequest,
} from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import { HistoryService } from '../src/index.js';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventNames,
  FakeMatching,
  history,
  NS,
  payloads,
  payloadText,
  pollWorkflowTask,
  settle,
  start,
  TEST_OPTIONS,
} from './harness.js';
import type { Harness } from './harness.js';

const CommandType = temporal.api.enums.v1.CommandType;
const ParentClosePolicy = temporal.api.enums.v1.ParentClosePolicy;

interface PeerCall {
  method: keyof HistoryPeerApi;
  ns: NamespaceRef;
  req: unknown;
  ctx: CallContext;
}

/** Passes every peer call on to the real service, remembering it; `failWith` makes every call throw instead. */
class RecordingPeers implements HistoryPeerApi {
  target?: HistoryPeerApi;
  readonly calls: PeerCall[] = [];
  failWith?: ServiceError;

  #record(method: keyof HistoryPeerApi, ns: NamespaceRef, req: unknown, ctx: CallContext): HistoryPeerApi {
    this.calls.push({ method, ns, req, ctx });
    if (this.failWith) throw this.failWith;
    return this.target!;
  }

  async startChildExecution(ns: NamespaceRef, req: StartChildExecutionRequest, ctx: CallContext) {
    return this.#record('startChildExecution', ns, req, ctx).startChildExecution(ns, req, ctx);
  }

  async recordChildExecutionCompleted(
    ns: NamespaceRef,
    req: RecordChildExecutionCompletedRequest,
    ctx: CallContext,
  ) {
    return this.#record('recordChildExecutionCompleted', ns, req, ctx).recordChildExecutionCompleted(
      ns,
      req,
      ctx,
    );
  }

  async applyParentClosePolicy(ns: NamespaceRef, req: ApplyParentClosePolicyRequest, ctx: CallContext) {
    return this.#record('applyParentClosePolicy', ns, req, ctx).applyParentClosePolicy(ns, req, ctx);
  }

  async deliverExternal(ns: NamespaceRef, req: DeliverExternalRequest, ctx: CallContext) {
    return this.#record('deliverExternal', ns, req, ctx).deliverExternal(ns, req, ctx);
  }

  take<M extends keyof HistoryPeerApi>(method: M): PeerCall[] {
    const taken = this.calls.filter((c) => c.method === method);
    this.calls.splice(0, this.calls.length, ...this.calls.filter((c) => c.method !== method));
    return taken;
  }
}

/**
 * What may cross the wire to another host: nested objects, arrays, strings, numbers, booleans, bytes and int64s —
 * never a function, class with behaviour (a Mutation, a Map) or a promise.
 */
function assertPlainData(value: unknown, path = 'req'): void {
  if (value === null || value === undefined) return;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return;
  assert.notEqual(type, 'function', `${path} is a function`);
  assert.equal(type, 'object', `${path} is a ${type}`);
  if (value instanceof Uint8Array) return;
  assert.ok(
    !(value instanceof Map || value instanceof Set || value instanceof Promise),
    `${path} is not plain data`,
  );
  for (const [key, inner] of Object.entries(value as object)) assertPlainData(inner, `${path}.${key}`);
}

function signalExternal(workflowId: string, name: string): T.api.command.v1.ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
    signalExternalWorkflowExecutionCommandAttributes: {
      namespace: NS.name,
      execution: { workflowId },
      signalName: name,
      input: payloads(name),
    },
  };
}

function cancelExternal(workflowId: string): T.api.command.v1.ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
    requestCancelExternalWorkflowExecutionCommandAttributes: {
      namespace: NS.name,
      workflowId,
      reason: 'stop',
    },
  };
}

async function setupWithPeers(): Promise<Harness & { peers: RecordingPeers }> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
  const matching = new FakeMatching();
  const peers = new RecordingPeers();
  const service = new HistoryService(
    { clock, store },
    { matching, peers, shardCount: 4, hostId: 'host-a', options: TEST_OPTIONS },
  );
  peers.target = service;
  await service.start();
  return {
    clock,
    store,
    matching,
    history: service,
    peers,
    async close() {
      await service.stop();
      await store.close();
    },
  };
}

function assertPeerContext(h: Harness, call: PeerCall): void {
  assert.ok(call.ctx.signal instanceof AbortSignal);
  assert.equal(call.ctx.signal.aborted, false);
  assert.ok(call.ctx.deadline !== undefined);
  const ahead = call.ctx.deadline - h.clock.now();
  assert.ok(ahead > 20_000 && ahead <= 30_000, `deadline ${ahead} ms ahead`);
  assertPlainData(call.req);
}

describe('cross-workflow work goes through the peer API', () => {
  let h: Harness & { peers: RecordingPeers };
  before(async () => {
    h = await setupWithPeers();
  });
  after(async () => {
    await h.close();
  });

  test('a child is started, and its completion recorded in the parent, by peer calls', async () => {
    const parentRunId = await start(h, 'parent-1');
    const wft = await pollWorkflowTask(h, 'parent-1');
    await complete(h, wft.taskToken, [cmd.startChild('child-1')]);
    await settle();

    const [startCall, ...moreStarts] = h.peers.take('startChildExecution');
    assert.equal(moreStarts.length, 0);
    assertPeerContext(h, startCall!);
    assert.deepEqual(startCall!.ns, NS);
    const startReq = startCall!.req as StartChildExecutionRequest;
    assert.deepEqual(startReq.parent, {
      namespaceId: NS.id,
      namespace: NS.name,
      workflowId: 'parent-1',
      runId: parentRunId,
      initiatedEventId: 5,
      rootWorkflowId: 'parent-1',
      rootRunId: parentRunId,
    });
    assert.equal(startReq.requestId, `child:${parentRunId}:5`);
    assert.equal(startReq.attributes.workflowId, 'child-1');
    assert.equal(startReq.attributes.workflowType?.name, 'child');
    assert.equal(payloadText(startReq.attributes.input), 'child-in');
    assert.deepEqual((await eventNames(h, 'parent-1')).slice(4), [
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);

    const childTask = await pollWorkflowTask(h, 'child-1');
    const childStarted = childTask.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(childStarted?.parentWorkflowExecution?.runId, parentRunId);
    const parentTask = await pollWorkflowTask(h, 'parent-1');
    await complete(h, parentTask.taskToken, []);
    await complete(h, childTask.taskToken, [cmd.complete('child-out')]);
    await settle();

    const [doneCall, ...moreDone] = h.peers.take('recordChildExecutionCompleted');
    assert.equal(moreDone.length, 0);
    assertPeerContext(h, doneCall!);
    assert.deepEqual(doneCall!.ns, NS);
    const doneReq = doneCall!.req as RecordChildExecutionCompletedRequest;
    assert.equal(doneReq.parentWorkflowId, 'parent-1');
    assert.equal(doneReq.parentRunId, parentRunId);
    assert.equal(doneReq.initiatedEventId, 5);
    assert.equal(doneReq.childRunId, childTask.workflowExecution?.runId);
    assert.equal(
      payloadText(doneReq.completionEvent.workflowExecutionCompletedEventAttributes?.result),
      'child-out',
    );
    const done = (await history(h, 'parent-1')).find((e) => e.childWorkflowExecutionCompletedEventAttributes);
    const attrs = done?.childWorkflowExecutionCompletedEventAttributes;
    assert.equal(payloadText(attrs?.result), 'child-out');
    assert.equal(Number(attrs?.initiatedEventId), 5);
    assert.equal(Number(attrs?.startedEventId), 6);
    assert.equal((await eventNames(h, 'parent-1')).at(-1), 'WORKFLOW_TASK_SCHEDULED');
  });

  test('a child id in use comes back as ALREADY_EXISTS and fails the start in the parent', async () => {
    await start(h, 'taken-child');
    await start(h, 'parent-2');
    const wft = await pollWorkflowTask(h, 'parent-2');
    await complete(h, wft.taskToken, [cmd.startChild('taken-child')]);
    await settle();
    assert.equal(h.peers.take('startChildExecution').length, 1);
    assert.deepEqual((await eventNames(h, 'parent-2')).slice(4), [
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'START_CHILD_WORKFLOW_EXECUTION_FAILED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
  });

  test('closing the parent applies each open child’s policy by a peer call', async () => {
    const parentRunId = await start(h, 'parent-3');
    const wft = await pollWorkflowTask(h, 'parent-3');
    await complete(h, wft.taskToken, [
      cmd.startChild('child-3-cancel', {
        parentClosePolicy: ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
      }),
      cmd.startChild('child-3-terminate'),
      cmd.startChild('child-3-abandon', { parentClosePolicy: ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON }),
    ]);
    await settle();
    const childRuns = new Map(
      h.peers
        .take('startChildExecution')
        .map((c) => [(c.req as StartChildExecutionRequest).attributes.workflowId, c]),
    );
    assert.equal(childRuns.size, 3);
    const described = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'child-3-terminate' } },
      ctx(),
    );
    const terminateRunId = described.workflowExecutionInfo?.execution?.runId;

    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'parent-3' }, reason: 'done' },
      ctx(),
    );
    await settle();

    const calls = h.peers.take('applyParentClosePolicy');
    for (const call of calls) {
      assertPeerContext(h, call);
      assert.deepEqual(call.ns, NS);
    }
    const requests = calls
      .map((c) => c.req as ApplyParentClosePolicyRequest)
      .sort((a, b) => a.workflowId.localeCompare(b.workflowId));
    assert.equal(requests.length, 2);
    assert.deepEqual(
      requests.map((r) => ({ ...r, runId: r.runId ? 'set' : '' })),
      [
        {
          workflowId: 'child-3-cancel',
          runId: 'set',
          parentRunId,
          policy: ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
        },
        {
          workflowId: 'child-3-terminate',
          runId: 'set',
          parentRunId,
          policy: ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
        },
      ],
    );
    assert.equal(requests[1]!.runId, terminateRunId);
    assert.equal((await eventNames(h, 'child-3-cancel')).at(-1), 'WORKFLOW_EXECUTION_CANCEL_REQUESTED');
    assert.ok(!(await eventNames(h, 'child-3-cancel')).includes('WORKFLOW_EXECUTION_TERMINATED'));
    assert.equal((await eventNames(h, 'child-3-terminate')).at(-1), 'WORKFLOW_EXECUTION_TERMINATED');
    assert.ok(!(await eventNames(h, 'child-3-abandon')).includes('WORKFLOW_EXECUTION_TERMINATED'));
  });

  test('external signals and cancels are delivered by peer calls; a missing target fails in the source', async () => {
    await start(h, 'target');
    const sourceRunId = await start(h, 'source');
    const wft = await pollWorkflowTask(h, 'source');
    await complete(h, wft.taskToken, [
      signalExternal('target', 'poke'),
      cancelExternal('target'),
      signalExternal('nobody', 'poke'),
    ]);
    await settle();

    const calls = h.peers.take('deliverExternal');
    assert.equal(calls.length, 3);
    for (const call of calls) {
      assertPeerContext(h, call);
      assert.deepEqual(call.ns, NS);
    }
    const byEvent = new Map(
      calls.map((c) => [(c.req as DeliverExternalRequest).initiatedEventId, c.req as DeliverExternalRequest]),
    );
    const [signalId, cancelId, missingId] = [...byEvent.keys()].sort((a, b) => a - b);
    const signalReq = byEvent.get(signalId!)!;
    assert.deepEqual(
      { ...signalReq, input: payloadText(signalReq.input) },
      {
        kind: 'signal',
        targetWorkflowId: 'target',
        targetRunId: '',
        sourceWorkflowId: 'source',
        sourceRunId,
        initiatedEventId: signalId,
        childWorkflowOnly: false,
        signalName: 'poke',
        input: 'poke',
        header: null,
      },
    );
    assert.deepEqual(byEvent.get(cancelId!), {
      kind: 'cancel',
      targetWorkflowId: 'target',
      targetRunId: '',
      sourceWorkflowId: 'source',
      sourceRunId,
      initiatedEventId: cancelId,
      childWorkflowOnly: false,
      reason: 'stop',
    });
    assert.equal(byEvent.get(missingId!)?.targetWorkflowId, 'nobody');

    const target = await history(h, 'target');
    const signaled = target.find((e) => e.workflowExecutionSignaledEventAttributes);
    assert.equal(signaled?.workflowExecutionSignaledEventAttributes?.signalName, 'poke');
    assert.equal(payloadText(signaled?.workflowExecutionSignaledEventAttributes?.input), 'poke');
    const cancel = target.find(
      (e) => e.workflowExecutionCancelRequestedEventAttributes,
    )?.workflowExecutionCancelRequestedEventAttributes;
    assert.equal(cancel?.externalWorkflowExecution?.workflowId, 'source');
    assert.equal(cancel?.externalWorkflowExecution?.runId, sourceRunId);
    assert.equal(Number(cancel?.externalInitiatedEventId), cancelId);
    assert.equal(cancel?.cause, 'stop');
    const names = await eventNames(h, 'source');
    assert.ok(names.includes('EXTERNAL_WORKFLOW_EXECUTION_SIGNALED'));
    assert.ok(names.includes('EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED'));
    assert.ok(names.includes('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED'));
  });
});

describe('an unreachable peer', () => {
  let h: Harness & { peers: RecordingPeers };
  before(async () => {
    h = await setupWithPeers();
  });
  after(async () => {
    await h.close();
  });

  test('fails the child start task, which records nothing and is retried by the outbox scan', async () => {
    h.peers.failWith = ServiceError.unavailable('the child’s shard owner is unreachable');
    await start(h, 'parent-u');
    const wft = await pollWorkflowTask(h, 'parent-u');
    await complete(h, wft.taskToken, [cmd.startChild('child-u')]);
    await settle();
    assert.equal(h.peers.take('startChildExecution').length, 1);
    assert.equal((await eventNames(h, 'parent-u')).at(-1), 'START_CHILD_WORKFLOW_EXECUTION_INITIATED');
    assert.equal(await h.store.executions.getCurrentExecution(NS.id, 'child-u'), null);

    h.peers.failWith = undefined;
    await advance(h, TEST_OPTIONS.transferScanIntervalMs!);
    await settle();
    assert.equal(h.peers.take('startChildExecution').length, 1);
    assert.deepEqual((await eventNames(h, 'parent-u')).slice(-2), [
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    assert.ok(await h.store.executions.getCurrentExecution(NS.id, 'child-u'));
  });

  test('fails the external signal task without a …Signaled or …Failed event in the source', async () => {
    await start(h, 'target-u');
    await start(h, 'source-u');
    h.peers.failWith = ServiceError.unavailable('the target’s shard owner is unreachable');
    const wft = await pollWorkflowTask(h, 'source-u');
    await complete(h, wft.taskToken, [signalExternal('target-u', 'poke')]);
    await settle();
    assert.equal(h.peers.take('deliverExternal').length, 1);
    assert.equal((await eventNames(h, 'source-u')).at(-1), 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED');
    assert.ok(!(await eventNames(h, 'target-u')).includes('WORKFLOW_EXECUTION_SIGNALED'));

    h.peers.failWith = undefined;
    await advance(h, TEST_OPTIONS.transferScanIntervalMs!);
    await settle();
    assert.equal(h.peers.take('deliverExternal').length, 1);
    assert.ok((await eventNames(h, 'source-u')).includes('EXTERNAL_WORKFLOW_EXECUTION_SIGNALED'));
    assert.ok((await eventNames(h, 'target-u')).includes('WORKFLOW_EXECUTION_SIGNALED'));
  });
});
