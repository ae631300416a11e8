import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { encodeTaskToken, type HistoryApi, ServiceError } from '@odin/api';
import { FrontendService } from '../src/frontend-service.js';
import { WORKFLOW_SERVICE } from '../src/grpc-service.js';
import { type Call, fakeHistory, fakeMatching, fixture } from './fakes.js';

const W = WORKFLOW_SERVICE;

function startRequest(overrides: Record<string, unknown> = {}) {
  return {
    namespace: 'default',
    workflowId: 'wf-1',
    workflowType: { name: 'Greet' },
    taskQueue: { name: 'q' },
    requestId: 'req-1',
    ...overrides,
  };
}

async function rejects(promise: Promise<unknown>, code: status, message?: RegExp): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ServiceError, `expected a ServiceError, got ${String(error)}`);
    assert.equal(error.code, code, `expected ${status[code]}, got ${status[error.code]}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail('expected the call to fail');
}

async function setup(options: { history?: HistoryApi } = {}) {
  const f = await fixture();
  const historyCalls: Call[] = [];
  const matchingCalls: Call[] = [];
  const frontend = new FrontendService(f.ctx, {
    history: options.history ?? fakeHistory(historyCalls, () => ({ runId: 'run-1' })),
    matching: fakeMatching(matchingCalls),
  });
  return { ...f, frontend, historyCalls, matchingCalls };
}

describe('StartWorkflowExecution', () => {
  test('routes a valid start to history with the resolved namespace', async () => {
    const { frontend, historyCalls } = await setup();
    const response = await frontend.invoke(W, 'StartWorkflowExecution', startRequest());
    assert.deepEqual(response, { runId: 'run-1' });
    assert.equal(historyCalls.length, 1);
    assert.equal(historyCalls[0]?.method, 'startWorkflowExecution');
    assert.deepEqual(historyCalls[0]?.ns, { id: 'ns-default-id', name: 'default' });
  });

  test('gives a request without request id one, so history can deduplicate retries', async () => {
    const { frontend, historyCalls } = await setup();
    await frontend.invoke(W, 'StartWorkflowExecution', startRequest({ requestId: '' }));
    assert.match((historyCalls[0]!.req as { requestId: string }).requestId, /^[0-9a-f-]{36}$/);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['no workflow id', { workflowId: '' }, /WorkflowId is not set/],
    [
      'a workflow id over 1,000 bytes of UTF-8',
      { workflowId: 'x'.repeat(1001) },
      /WorkflowId length exceeds limit: 1001 bytes of UTF-8; the limit is 1000/,
    ],
    ['no workflow type', { workflowType: {} }, /WorkflowType is not set/],
    ['no task queue', { taskQueue: undefined }, /TaskQueue is not set/],
    [
      'a negative run timeout',
      { workflowRunTimeout: { seconds: -1 } },
      /WorkflowRunTimeout must not be negative/,
    ],
    [
      'a backoff coefficient below 1',
      { retryPolicy: { backoffCoefficient: 0.5 } },
      /BackoffCoefficient must be 1/,
    ],
    ['an unknown reuse policy', { workflowIdReusePolicy: 99 }, /WorkflowIdReusePolicy has unknown value 99/],
    ['no namespace', { namespace: '' }, /Namespace is not set/],
  ];
  for (const [what, overrides, message] of invalid) {
    test(`refuses ${what} with INVALID_ARGUMENT and never reaches history`, async () => {
      const { frontend, historyCalls } = await setup();
      await rejects(
        frontend.invoke(W, 'StartWorkflowExecution', startRequest(overrides)),
        status.INVALID_ARGUMENT,
        message,
      );
      assert.equal(historyCalls.length, 0);
    });
  }

  test('an unknown namespace is NOT_FOUND with the NamespaceNotFoundFailure detail', async () => {
    const { frontend, historyCalls } = await setup();
    const error = await rejects(
      frontend.invoke(W, 'StartWorkflowExecution', startRequest({ namespace: 'nope' })),
      status.NOT_FOUND,
      /Namespace nope is not found/,
    );
    assert.equal(error.detail?.typeName, 'temporal.api.errordetails.v1.NamespaceNotFoundFailure');
    assert.deepEqual(error.detail?.value, { namespace: 'nope' });
    assert.equal(historyCalls.length, 0);
  });
});

describe('namespace cache', () => {
  test('reads a namespace once per five minutes of the injected clock', async () => {
    const { frontend, namespaces, clock } = await setup();
    const before = namespaces.reads;
    await frontend.invoke(W, 'StartWorkflowExecution', startRequest());
    await frontend.invoke(W, 'StartWorkflowExecution', startRequest());
    assert.equal(namespaces.reads - before, 1);
    await clock.advance(5 * 60 * 1000 - 1);
    await frontend.invoke(W, 'StartWorkflowExecution', startRequest());
    assert.equal(namespaces.reads - before, 1);
    await clock.advance(1);
    await frontend.invoke(W, 'StartWorkflowExecution', startRequest());
    assert.equal(namespaces.reads - before, 2);
  });
});

describe('errors', () => {
  test('a method without a handler answers UNIMPLEMENTED naming it', async () => {
    const { frontend } = await setup();
    await rejects(
      frontend.invoke(W, 'CreateSchedule', {}),
      status.UNIMPLEMENTED,
      /CreateSchedule is not implemented/,
    );
  });

  test('an unexpected error becomes INTERNAL with a correlation id and without its own text', async () => {
    const history = fakeHistory([], () => {
      throw new Error('secret database detail');
    });
    const { frontend } = await setup({ history });
    const error = await rejects(
      frontend.invoke(W, 'StartWorkflowExecution', startRequest(), { correlationId: 'corr-9' }),
      status.INTERNAL,
      /correlation id corr-9/,
    );
    assert.doesNotMatch(error.message, /secret/);
  });

  test('a ServiceError from history reaches the client unchanged', async () => {
    const history = fakeHistory([], () => {
      throw ServiceError.workflowAlreadyStarted('Workflow execution is already running.', 'r0', 'run-0');
    });
    const { frontend } = await setup({ history });
    const error = await rejects(
      frontend.invoke(W, 'StartWorkflowExecution', startRequest()),
      status.ALREADY_EXISTS,
    );
    assert.equal(
      error.detail?.typeName,
      'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
    );
  });
});

describe('GetSystemInfo', () => {
  test('advertises sdk_metadata only when history records it', async () => {
    const { frontend } = await setup();
    const off = (await frontend.invoke(W, 'GetSystemInfo', {})) as { capabilities: Record<string, boolean> };
    assert.equal(off.capabilities.sdkMetadata, false);
    assert.equal(off.capabilities.signalAndQueryHeader, true);
    assert.equal(off.capabilities.encodedFailureAttributes, true);
    assert.equal(off.capabilities.activityFailureIncludeHeartbeat, true);
    assert.equal(off.capabilities.upsertMemo, true);
    assert.equal(off.capabilities.buildIdBasedVersioning, false);
    assert.equal(off.capabilities.eagerWorkflowStart, true);
    assert.equal(off.capabilities.nexus, false);

    const recording = Object.assign(Object.create(fakeHistory([])) as HistoryApi, {
      recordsSdkMetadata: true,
    });
    const { frontend: withFlag } = await setup({ history: recording });
    const on = (await withFlag.invoke(W, 'GetSystemInfo', {})) as { capabilities: Record<string, boolean> };
    assert.equal(on.capabilities.sdkMetadata, true);
  });

  test('advertises eager workflow start only while HUGO_ORCHESTRATOR_EAGER_WORKFLOW_START is on', async () => {
    const f = await setup();
    const config = f.ctx.config as { eagerWorkflowStart: boolean };
    config.eagerWorkflowStart = false;
    const info = (await f.frontend.invoke(W, 'GetSystemInfo', {})) as {
      capabilities: Record<string, boolean>;
    };
    assert.equal(info.capabilities.eagerWorkflowStart, false);
  });
});

describe('namespaces', () => {
  test('register, describe, list and update a namespace', async () => {
    const { frontend } = await setup();
    await frontend.invoke(W, 'RegisterNamespace', {
      namespace: 'orders',
      description: 'order flows',
      workflowExecutionRetentionPeriod: { seconds: 3 * 86400 },
    });
    const described = (await frontend.invoke(W, 'DescribeNamespace', { namespace: 'orders' })) as {
      namespaceInfo: { name: string; state: number; description: string; id: string };
      config: { workflowExecutionRetentionTtl: { seconds: number } };
    };
    assert.equal(described.namespaceInfo.name, 'orders');
    assert.equal(described.namespaceInfo.state, 1);
    assert.equal(described.namespaceInfo.description, 'order flows');
    assert.equal(described.config.workflowExecutionRetentionTtl.seconds, 3 * 86400);

    const byId = (await frontend.invoke(W, 'DescribeNamespace', { id: described.namespaceInfo.id })) as {
      namespaceInfo: { name: string };
    };
    assert.equal(byId.namespaceInfo.name, 'orders');

    const listed = (await frontend.invoke(W, 'ListNamespaces', {})) as {
      namespaces: { namespaceInfo: { name: string } }[];
    };
    assert.deepEqual(
      listed.namespaces.map((n) => n.namespaceInfo.name),
      ['default', 'orders'],
    );

    await frontend.invoke(W, 'UpdateNamespace', {
      namespace: 'orders',
      updateInfo: { description: 'changed' },
    });
    const after = (await frontend.invoke(W, 'DescribeNamespace', { namespace: 'orders' })) as {
      namespaceInfo: { description: string };
    };
    assert.equal(after.namespaceInfo.description, 'changed');
  });

  test('registering a taken name is ALREADY_EXISTS and a bad name INVALID_ARGUMENT', async () => {
    const { frontend } = await setup();
    await rejects(frontend.invoke(W, 'RegisterNamespace', { namespace: 'default' }), status.ALREADY_EXISTS);
    await rejects(
      frontend.invoke(W, 'RegisterNamespace', { namespace: 'has space' }),
      status.INVALID_ARGUMENT,
      /is not valid/,
    );
  });

  test('describing an unknown namespace is NOT_FOUND', async () => {
    const { frontend } = await setup();
    await rejects(frontend.invoke(W, 'DescribeNamespace', { namespace: 'ghost' }), status.NOT_FOUND);
  });
});

describe('worker calls', () => {
  test('a poll reaches matching with the caller deadline', async () => {
    const { frontend, matchingCalls } = await setup();
    await frontend.invoke(
      W,
      'PollWorkflowTaskQueue',
      { namespace: 'default', taskQueue: { name: 'q' }, identity: 'w1' },
      { deadline: 123_456 },
    );
    assert.equal(matchingCalls[0]?.method, 'pollWorkflowTaskQueue');
    assert.equal(matchingCalls[0]?.deadline, 123_456);
  });

  test('a task token from another namespace is refused', async () => {
    const { frontend, historyCalls } = await setup();
    const taskToken = encodeTaskToken({
      kind: 'workflow',
      namespaceId: 'other-ns',
      workflowId: 'wf',
      runId: 'r',
      scheduledEventId: 2,
      startedEventId: 3,
      attempt: 1,
    });
    await rejects(
      frontend.invoke(W, 'RespondWorkflowTaskCompleted', { namespace: 'default', taskToken }),
      status.INVALID_ARGUMENT,
      /another namespace/,
    );
    assert.equal(historyCalls.length, 0);
  });

  test('a missing task token is INVALID_ARGUMENT', async () => {
    const { frontend } = await setup();
    await rejects(
      frontend.invoke(W, 'RespondActivityTaskCompleted', { namespace: 'default' }),
      status.INVALID_ARGUMENT,
      /TaskToken is not set/,
    );
  });

  test('ShutdownWorker goes to matching, ResetStickyTaskQueue to history, each with the resolved namespace', async () => {
    const { frontend, historyCalls, matchingCalls } = await setup();
    const shutdown = { namespace: 'default', stickyTaskQueue: 'w1-sticky', workerInstanceKey: 'k1' };
    assert.deepEqual(await frontend.invoke(W, 'ShutdownWorker', shutdown), {});
    assert.deepEqual(
      matchingCalls.map((c) => [c.method, c.ns.id, (c.req as { stickyTaskQueue?: string }).stickyTaskQueue]),
      [['shutdownWorker', 'ns-default-id', 'w1-sticky']],
    );
    const reset = { namespace: 'default', execution: { workflowId: 'wf', runId: 'aa-bb' } };
    await frontend.invoke(W, 'ResetStickyTaskQueue', reset);
    assert.deepEqual(
      historyCalls.map((c) => [c.method, c.ns.id]),
      [['resetStickyTaskQueue', 'ns-default-id']],
    );
    await rejects(
      frontend.invoke(W, 'ResetStickyTaskQueue', { namespace: 'default' }),
      status.INVALID_ARGUMENT,
      /Execution is not set/,
    );
  });
});

describe('visibility', () => {
  test('ListWorkflowExecutions filters through the parsed query', async () => {
    const { frontend, visibility } = await setup();
    const base = {
      namespaceId: 'ns-default-id',
      taskQueue: 'q',
      historyLength: 3,
      startTime: 1000,
      executionTime: 1000,
      stateVersion: 1,
    };
    visibility.rows.push(
      { ...base, runId: 'r1', workflowId: 'a', workflowType: 'T', status: 1 },
      { ...base, runId: 'r2', workflowId: 'b', workflowType: 'T', status: 2, closeTime: 2000 },
    );
    const listed = (await frontend.invoke(W, 'ListWorkflowExecutions', {
      namespace: 'default',
      query: `WorkflowType = 'T' AND ExecutionStatus = 'Running'`,
    })) as { executions: { execution: { workflowId: string } }[] };
    assert.deepEqual(
      listed.executions.map((e) => e.execution.workflowId),
      ['a'],
    );
    const counted = (await frontend.invoke(W, 'CountWorkflowExecutions', {
      namespace: 'default',
      query: `WorkflowType = "T"`,
    })) as { count: number };
    assert.equal(counted.count, 2);
  });

  test('an invalid query is INVALID_ARGUMENT naming what is wrong', async () => {
    const { frontend } = await setup();
    await rejects(
      frontend.invoke(W, 'ListWorkflowExecutions', { namespace: 'default', query: `StartTime > '2020'` }),
      status.INVALID_ARGUMENT,
      /invalid query: invalid expression: unable to parse datetime '2020'/,
    );
    await rejects(
      frontend.invoke(W, 'ListWorkflowExecutions', { namespace: 'default', query: `Nope = 'x'` }),
      status.INVALID_ARGUMENT,
      /column name 'Nope' is not a valid search attribute/,
    );
  });

  test('CountWorkflowExecutions … GROUP BY ExecutionStatus answers groups with Keyword payloads', async () => {
    const { frontend, visibility } = await setup();
    const base = {
      namespaceId: 'ns-default-id',
      taskQueue: 'q',
      historyLength: 3,
      startTime: 1,
      executionTime: 1,
    };
    visibility.rows.push(
      { ...base, runId: 'r1', workflowId: 'a', workflowType: 'T', status: 1, stateVersion: 1 },
      { ...base, runId: 'r2', workflowId: 'b', workflowType: 'T', status: 2, stateVersion: 1 },
      { ...base, runId: 'r3', workflowId: 'c', workflowType: 'T', status: 2, stateVersion: 1 },
    );
    const counted = (await frontend.invoke(W, 'CountWorkflowExecutions', {
      namespace: 'default',
      query: `WorkflowType = 'T' GROUP BY ExecutionStatus`,
    })) as {
      count: number;
      groups: { groupValues: { metadata: Record<string, Uint8Array>; data: Uint8Array }[]; count: number }[];
    };
    assert.equal(counted.count, 3);
    assert.deepEqual(
      counted.groups.map((g) => [Buffer.from(g.groupValues[0]!.data).toString(), g.count]),
      [
        ['"Running"', 1],
        ['"Completed"', 2],
      ],
    );
    assert.equal(Buffer.from(counted.groups[0]!.groupValues[0]!.metadata.type!).toString(), 'Keyword');
    await rejects(
      frontend.invoke(W, 'ListWorkflowExecutions', {
        namespace: 'default',
        query: 'GROUP BY ExecutionStatus',
      }),
      status.INVALID_ARGUMENT,
      /'GROUP BY' clause/,
    );
  });
});

describe('search attributes', () => {
  const O = 'temporal.api.operatorservice.v1.OperatorService';
  const KEYWORD = 2;
  const INT = 3;

  test("AddSearchAttributes registers per namespace; List and Remove see it; the rules are Temporal's", async () => {
    const { frontend } = await setup();
    assert.deepEqual(
      await frontend.invoke(O, 'AddSearchAttributes', {
        namespace: 'default',
        searchAttributes: { Color: KEYWORD, Size: INT },
      }),
      {},
    );
    // A name registered already is kept as it is, whatever type the new request gives it.
    await frontend.invoke(O, 'AddSearchAttributes', {
      namespace: 'default',
      searchAttributes: { Color: INT },
    });
    const listed = (await frontend.invoke(O, 'ListSearchAttributes', { namespace: 'default' })) as {
      customAttributes: Record<string, number>;
      systemAttributes: Record<string, number>;
    };
    assert.deepEqual(listed.customAttributes, { Color: KEYWORD, Size: INT });
    assert.equal(listed.systemAttributes.WorkflowId, KEYWORD);
    assert.equal(listed.systemAttributes.TemporalChangeVersion, 7);
    const all = (await frontend.invoke(W, 'GetSearchAttributes', {})) as { keys: Record<string, number> };
    assert.equal(all.keys.Color, KEYWORD);
    assert.equal(all.keys.ExecutionStatus, KEYWORD);

    await rejects(
      frontend.invoke(O, 'AddSearchAttributes', {
        namespace: 'default',
        searchAttributes: { WorkflowId: KEYWORD },
      }),
      status.INVALID_ARGUMENT,
      /Search attribute WorkflowId is reserved by system/,
    );
    await rejects(
      frontend.invoke(O, 'AddSearchAttributes', {
        namespace: 'default',
        searchAttributes: { TemporalX: KEYWORD },
      }),
      status.INVALID_ARGUMENT,
      /reserved by system/,
    );
    await rejects(
      frontend.invoke(O, 'AddSearchAttributes', { namespace: 'default', searchAttributes: { Bad: 99 } }),
      status.INVALID_ARGUMENT,
      /Unknown search attribute type: 99/,
    );
    await rejects(
      frontend.invoke(O, 'AddSearchAttributes', { namespace: 'default', searchAttributes: {} }),
      status.INVALID_ARGUMENT,
      /SearchAttributes are not set on request/,
    );
    await rejects(
      frontend.invoke(O, 'AddSearchAttributes', {
        namespace: 'default',
        searchAttributes: { I1: INT, I2: INT, I3: INT },
      }),
      status.INVALID_ARGUMENT,
      /cannot have more than 3 search attribute of type Int/,
    );
    await rejects(
      frontend.invoke(O, 'RemoveSearchAttributes', { namespace: 'default', searchAttributes: ['RunId'] }),
      status.INVALID_ARGUMENT,
      /Unable to remove non-custom search attributes: RunId/,
    );
    await frontend.invoke(O, 'RemoveSearchAttributes', {
      namespace: 'default',
      searchAttributes: ['Size', 'Nope'],
    });
    const after = (await frontend.invoke(O, 'ListSearchAttributes', { namespace: 'default' })) as {
      customAttributes: Record<string, number>;
    };
    assert.deepEqual(after.customAttributes, { Color: KEYWORD });
  });

  test('a start with an unregistered, system or ill-typed attribute is INVALID_ARGUMENT naming it', async () => {
    const { frontend } = await setup();
    await frontend.invoke(O, 'AddSearchAttributes', {
      namespace: 'default',
      searchAttributes: { Size: INT },
    });
    const start = (indexedFields: Record<string, unknown>) =>
      frontend.invoke(W, 'StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'wf',
        workflowType: { name: 'T' },
        taskQueue: { name: 'q' },
        searchAttributes: { indexedFields },
      });
    const json = (v: unknown) => ({
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify(v)),
    });
    await rejects(
      start({ Unknown: json('x') }),
      status.INVALID_ARGUMENT,
      /search attribute Unknown is not defined/,
    );
    await rejects(
      start({ WorkflowId: json('x') }),
      status.INVALID_ARGUMENT,
      /WorkflowId attribute can't be set/,
    );
    await rejects(
      start({ Size: json('big') }),
      status.INVALID_ARGUMENT,
      /"big" is not a valid value for search attribute Size of type Int/,
    );
  });
});
