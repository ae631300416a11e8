import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { google, ServiceError, temporal } from '@odin/api';
import { toGrpcFailure } from '../src/errors.js';
import { FrontendService } from '../src/frontend-service.js';
import { WORKFLOW_SERVICE } from '../src/grpc-service.js';
import { type Call, fakeHistory, fakeMatching, fixture } from './fakes.js';

const W = WORKFLOW_SERVICE;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

async function setup() {
  const f = await fixture();
  const historyCalls: Call[] = [];
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(historyCalls, () => ({})),
    matching: fakeMatching([]),
  });
  return { frontend, historyCalls };
}

async function refused(promise: Promise<unknown>, code: status, message?: RegExp): Promise<ServiceError> {
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

function updateRequest(overrides: Record<string, unknown> = {}) {
  return {
    namespace: 'default',
    workflowExecution: { workflowId: 'wf-1' },
    request: { meta: { updateId: 'u-1' }, input: { name: 'approve' } },
    ...overrides,
  };
}

function startOperation(overrides: Record<string, unknown> = {}) {
  return {
    startWorkflow: {
      namespace: 'default',
      workflowId: 'wf-1',
      workflowType: { name: 'Cart' },
      taskQueue: { name: 'q' },
      workflowIdConflictPolicy: 2,
      ...overrides,
    },
  };
}

function statusesOf(error: ServiceError): number[] {
  assert.equal(error.detail?.typeName, 'temporal.api.errordetails.v1.MultiOperationExecutionFailure');
  return (error.detail!.value as { statuses: { code: number }[] }).statuses.map((s) => s.code);
}

describe('UpdateWorkflowExecution', () => {
  test('goes to history with the COMPLETED stage when none is asked, and an update id when none is given', async () => {
    const { frontend, historyCalls } = await setup();
    await frontend.invoke(
      W,
      'UpdateWorkflowExecution',
      updateRequest({ request: { meta: {}, input: { name: 'a' } } }),
    );
    const call = historyCalls[0]!;
    assert.equal(call.method, 'updateWorkflowExecution');
    const req = call.req as {
      waitPolicy: { lifecycleStage: number };
      request: { meta: { updateId: string } };
    };
    assert.equal(req.waitPolicy.lifecycleStage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    assert.match(req.request.meta.updateId, /^[0-9a-f-]{36}$/);
  });

  test('refuses a request without meta, input or update name, and waiting for ADMITTED only', async () => {
    const { frontend, historyCalls } = await setup();
    await refused(
      frontend.invoke(W, 'UpdateWorkflowExecution', updateRequest({ request: { input: { name: 'a' } } })),
      status.INVALID_ARGUMENT,
      /Meta/,
    );
    await refused(
      frontend.invoke(W, 'UpdateWorkflowExecution', updateRequest({ request: { meta: { updateId: 'u' } } })),
      status.INVALID_ARGUMENT,
      /Input/,
    );
    await refused(
      frontend.invoke(
        W,
        'UpdateWorkflowExecution',
        updateRequest({ request: { meta: { updateId: 'u' }, input: { name: '' } } }),
      ),
      status.INVALID_ARGUMENT,
      /Name/,
    );
    await refused(
      frontend.invoke(W, 'UpdateWorkflowExecution', updateRequest({ workflowExecution: { workflowId: '' } })),
      status.INVALID_ARGUMENT,
      /WorkflowId/,
    );
    const admitted = await refused(
      frontend.invoke(
        W,
        'UpdateWorkflowExecution',
        updateRequest({
          waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        }),
      ),
      status.PERMISSION_DENIED,
      /ADMITTED/,
    );
    assert.equal(admitted.detail?.typeName, 'temporal.api.errordetails.v1.PermissionDeniedFailure');
    assert.equal(historyCalls.length, 0);
  });
});

describe('PollWorkflowExecutionUpdate', () => {
  test('needs the update reference', async () => {
    const { frontend, historyCalls } = await setup();
    await refused(
      frontend.invoke(W, 'PollWorkflowExecutionUpdate', { namespace: 'default' }),
      status.INVALID_ARGUMENT,
    );
    await frontend.invoke(W, 'PollWorkflowExecutionUpdate', {
      namespace: 'default',
      updateRef: { workflowExecution: { workflowId: 'wf-1' }, updateId: 'u-1' },
    });
    assert.equal(historyCalls[0]?.method, 'pollWorkflowExecutionUpdate');
  });
});

describe('ExecuteMultiOperation', () => {
  test('passes update-with-start to history, with a request id on the start', async () => {
    const { frontend, historyCalls } = await setup();
    await frontend.invoke(W, 'ExecuteMultiOperation', {
      namespace: 'default',
      operations: [startOperation(), { updateWorkflow: updateRequest() }],
    });
    assert.equal(historyCalls[0]?.method, 'executeMultiOperation');
    const req = historyCalls[0]!.req as { operations: { startWorkflow: { requestId: string } }[] };
    assert.match(req.operations[0]!.startWorkflow.requestId, /^[0-9a-f-]{36}$/);
  });

  test('refuses anything but [start, update] outright', async () => {
    const { frontend } = await setup();
    await refused(
      frontend.invoke(W, 'ExecuteMultiOperation', {
        namespace: 'default',
        operations: [{ updateWorkflow: updateRequest() }, startOperation()],
      }),
      status.INVALID_ARGUMENT,
      /exactly \[Start, Update\]/,
    );
  });

  test('a refused operation fails the call with its status; the other one is ABORTED', async () => {
    const { frontend, historyCalls } = await setup();
    const cron = await refused(
      frontend.invoke(W, 'ExecuteMultiOperation', {
        namespace: 'default',
        operations: [startOperation({ cronSchedule: '* * * * *' }), { updateWorkflow: updateRequest() }],
      }),
      status.INVALID_ARGUMENT,
    );
    assert.deepEqual(statusesOf(cron), [status.INVALID_ARGUMENT, status.ABORTED]);
    const runId = await refused(
      frontend.invoke(W, 'ExecuteMultiOperation', {
        namespace: 'default',
        operations: [
          startOperation(),
          { updateWorkflow: updateRequest({ workflowExecution: { workflowId: 'wf-1', runId: 'abc' } }) },
        ],
      }),
      status.INVALID_ARGUMENT,
    );
    assert.deepEqual(statusesOf(runId), [status.ABORTED, status.INVALID_ARGUMENT]);
    const otherWorkflow = await refused(
      frontend.invoke(W, 'ExecuteMultiOperation', {
        namespace: 'default',
        operations: [
          startOperation(),
          { updateWorkflow: updateRequest({ workflowExecution: { workflowId: 'wf-2' } }) },
        ],
      }),
      status.INVALID_ARGUMENT,
    );
    assert.deepEqual(statusesOf(otherWorkflow), [status.ABORTED, status.INVALID_ARGUMENT]);
    assert.equal(historyCalls.length, 0);
  });

  test('the start’s unregistered or system search attributes are refused as a plain start’s are', async () => {
    const { frontend, historyCalls } = await setup();
    const attribute = (name: string) => ({
      searchAttributes: {
        indexedFields: {
          [name]: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') },
        },
      },
    });
    for (const [name, message] of [
      ['NotRegistered', /search attribute NotRegistered is not defined/],
      ['WorkflowId', /WorkflowId attribute can't be set in SearchAttributes/],
    ] as const) {
      const error = await refused(
        frontend.invoke(W, 'ExecuteMultiOperation', {
          namespace: 'default',
          operations: [startOperation(attribute(name)), { updateWorkflow: updateRequest() }],
        }),
        status.INVALID_ARGUMENT,
      );
      assert.deepEqual(statusesOf(error), [status.INVALID_ARGUMENT, status.ABORTED]);
      const detail = error.detail?.value as { statuses: { message: string }[] };
      assert.match(detail.statuses[0]!.message, message);
    }
    assert.equal(historyCalls.length, 0);
  });
});

describe('multi-operation failures on the wire', () => {
  test('grpc-status-details-bin holds a MultiOperationExecutionFailure whose statuses keep their own details', () => {
    const error = ServiceError.multiOperation('Update-with-Start could not be executed.', [
      ServiceError.workflowAlreadyStarted('already running', 'req-1', 'run-1'),
      'aborted',
    ]);
    const failure = toGrpcFailure(error);
    assert.equal(failure.code, status.ALREADY_EXISTS);
    const [bytes] = failure.metadata.get('grpc-status-details-bin');
    const rpcStatus = google.rpc.Status.decode(bytes as Buffer);
    const any = rpcStatus.details[0]!;
    assert.equal(
      any.type_url,
      'type.googleapis.com/temporal.api.errordetails.v1.MultiOperationExecutionFailure',
    );
    const decoded = temporal.api.errordetails.v1.MultiOperationExecutionFailure.decode(any.value!);
    assert.deepEqual(
      decoded.statuses.map((s) => [s.code, s.details?.[0]?.type_url]),
      [
        [
          status.ALREADY_EXISTS,
          'type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
        ],
        [status.ABORTED, 'type.googleapis.com/temporal.api.failure.v1.MultiOperationExecutionAborted'],
      ],
    );
    const started = temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure.decode(
      decoded.statuses[0]!.details![0]!.value!,
    );
    assert.equal(started.runId, 'run-1');
  });
});

describe('update capabilities', () => {
  test('namespaces advertise sync and async updates', async () => {
    const { frontend } = await setup();
    const described = (await frontend.invoke(W, 'DescribeNamespace', { namespace: 'default' })) as {
      namespaceInfo: { capabilities: Record<string, boolean> };
    };
    assert.equal(described.namespaceInfo.capabilities.syncUpdate, true);
    assert.equal(described.namespaceInfo.capabilities.asyncUpdate, true);
  });
});
