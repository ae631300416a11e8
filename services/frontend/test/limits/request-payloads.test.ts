import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { encodeTaskToken, ServiceError, temporal } from '@odin/api';
import { FrontendService } from '../../src/frontend-service.js';
import { WORKFLOW_SERVICE as W } from '../../src/grpc-service.js';
import { type Call, fakeHistory, fakeMatching, fixture } from '../fakes.js';

const LIMIT = 1024;

async function setup() {
  const f = await fixture({
    env: {
      HUGO_ORCHESTRATOR_BLOB_SIZE_LIMIT_ERROR: String(LIMIT),
      HUGO_ORCHESTRATOR_BLOB_SIZE_LIMIT_WARN: String(LIMIT / 2),
    },
  });
  const calls: Call[] = [];
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(calls, () => ({ runId: 'run-1' })),
    matching: fakeMatching([]),
  });
  return { frontend, calls };
}

const payloads = (bytes: number) => ({ payloads: [{ data: Buffer.alloc(bytes) }] });

describe('request payloads and the blob size limit', () => {
  test('a start or signal with a payload over the limit is INVALID_ARGUMENT and reaches nothing', async () => {
    const { frontend, calls } = await setup();
    const start = {
      namespace: 'default',
      workflowId: 'wf',
      workflowType: { name: 'T' },
      taskQueue: { name: 'q' },
    };
    for (const [method, request] of [
      ['StartWorkflowExecution', { ...start, input: payloads(LIMIT + 1) }],
      [
        'SignalWorkflowExecution',
        {
          namespace: 'default',
          workflowExecution: { workflowId: 'wf' },
          signalName: 's',
          input: payloads(LIMIT + 1),
        },
      ],
      ['SignalWithStartWorkflowExecution', { ...start, signalName: 's', signalInput: payloads(LIMIT + 1) }],
      [
        'ResetWorkflowExecution',
        {
          namespace: 'default',
          workflowExecution: { workflowId: 'wf' },
          workflowTaskFinishEventId: 4,
          postResetOperations: [
            { signalWorkflow: { signalName: 'small', input: payloads(1) } },
            { signalWorkflow: { signalName: 's', input: payloads(LIMIT + 1) } },
          ],
        },
      ],
    ] as const) {
      await assert.rejects(frontend.invoke(W, method, request), (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.equal(error.code, status.INVALID_ARGUMENT);
        assert.equal(error.message, 'Blob data size exceeds limit.');
        return true;
      });
    }
    assert.equal(calls.length, 0);
    await frontend.invoke(W, 'StartWorkflowExecution', { ...start, input: payloads(LIMIT / 2) });
    assert.equal(calls.length, 1);
  });

  test('an activity result or heartbeat over the limit fails the activity instead, not retryable', async () => {
    const { frontend, calls } = await setup();
    const taskToken = encodeTaskToken({
      kind: 'activity',
      namespaceId: 'ns-default-id',
      workflowId: 'wf',
      runId: 'r',
      scheduledEventId: 5,
      activityId: 'a',
      attempt: 1,
    });
    await frontend.invoke(W, 'RespondActivityTaskCompleted', {
      namespace: 'default',
      taskToken,
      result: payloads(LIMIT + 1),
      identity: 'worker',
    });
    assert.equal(calls[0]?.method, 'respondActivityTaskFailed');
    const failed = calls[0]?.req as {
      failure?: { message?: string; serverFailureInfo?: { nonRetryable?: boolean } };
    };
    assert.equal(failed.failure?.message, 'Complete result exceeds size limit.');
    assert.equal(failed.failure?.serverFailureInfo?.nonRetryable, true);
    assert.equal((failed as { result?: unknown }).result, undefined);

    await frontend.invoke(W, 'RecordActivityTaskHeartbeat', {
      namespace: 'default',
      taskToken,
      details: payloads(LIMIT + 1),
    });
    assert.equal(calls[1]?.method, 'respondActivityTaskFailed');
    const beat = calls[1]?.req as { failure?: { message?: string } };
    assert.equal(beat.failure?.message, 'Heartbeat details exceed size limit.');
    // Under the limit, both go through as they are.
    await frontend.invoke(W, 'RecordActivityTaskHeartbeat', {
      namespace: 'default',
      taskToken,
      details: payloads(10),
    });
    assert.equal(calls[2]?.method, 'recordActivityTaskHeartbeat');
  });

  test('a query answer over the limit fails the query with Temporal’s message; the worker’s call succeeds', async () => {
    const calls: Call[] = [];
    const f = await fixture({
      env: {
        HUGO_ORCHESTRATOR_BLOB_SIZE_LIMIT_ERROR: String(LIMIT),
        HUGO_ORCHESTRATOR_BLOB_SIZE_LIMIT_WARN: String(LIMIT / 2),
      },
    });
    const frontend = new FrontendService(f.ctx, {
      history: fakeHistory([], () => ({})),
      matching: fakeMatching(calls, () => ({})),
    });
    const taskToken = encodeTaskToken({
      kind: 'query',
      namespaceId: 'ns-default-id',
      queryId: 'q-1',
      taskQueue: 'q',
    });
    const answered = temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_ANSWERED;
    await frontend.invoke(W, 'RespondQueryTaskCompleted', {
      namespace: 'default',
      taskToken,
      completedType: answered,
      queryResult: payloads(LIMIT + 1),
    });
    const refused = calls[0]?.req as { completedType?: number; errorMessage?: string; queryResult?: unknown };
    assert.equal(calls[0]?.method, 'respondQueryTaskCompleted');
    assert.equal(refused.completedType, temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_FAILED);
    assert.equal(refused.errorMessage, 'Blob data size exceeds limit.');
    assert.equal(refused.queryResult, undefined);
    // At the limit the answer goes through as it is.
    await frontend.invoke(W, 'RespondQueryTaskCompleted', {
      namespace: 'default',
      taskToken,
      completedType: answered,
      queryResult: payloads(LIMIT - 16),
    });
    assert.equal((calls[1]?.req as { completedType?: number } | undefined)?.completedType, answered);
  });
});
