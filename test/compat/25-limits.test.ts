// Limits with the official SDK on dev servers whose limits are set low: a workflow driven over the history event
// limit is terminated by the server while other workflows of its task queue go on and the worker keeps running;
// a completion with an oversized payload terminates its workflow; a namespace over its request rate gets
// RESOURCE_EXHAUSTED.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import { Connection, WorkflowFailedError } from '@temporalio/client';
import { TerminatedFailure } from '@temporalio/common';
import { type CompatEnv, databasesUnderTest, startEnv } from './harness.js';

const EventType = temporal.api.enums.v1.EventType;

/** What `result()` of a workflow the server terminated with `reason` throws. */
const terminated = (reason: string) => (error: unknown) => {
  assert.ok(error instanceof WorkflowFailedError, String(error));
  assert.ok(error.cause instanceof TerminatedFailure, String(error.cause));
  assert.equal(error.cause.message, reason);
  return true;
};

const LIMITS = {
  HUGO_ORCHESTRATOR_HISTORY_COUNT_SUGGEST_CONTINUE_AS_NEW: '50',
  HUGO_ORCHESTRATOR_HISTORY_COUNT_LIMIT_WARN: '100',
  HUGO_ORCHESTRATOR_HISTORY_COUNT_LIMIT_ERROR: '150',
  HUGO_ORCHESTRATOR_BLOB_SIZE_LIMIT_WARN: '16384',
  HUGO_ORCHESTRATOR_BLOB_SIZE_LIMIT_ERROR: '65536',
};

for (const db of databasesUnderTest()) {
  describe(`scenario 25: limits [${db}]`, () => {
    let e: CompatEnv;
    before(async () => {
      e = await startEnv(db, { env: LIMITS });
    });
    after(() => e?.close());

    test('a workflow over the event limit is terminated; its queue and worker go on; Terminate works', async () => {
      const taskQueue = e.taskQueue('limits');
      const running = await e.startWorker(taskQueue);
      try {
        // 200 timers in one workflow task would take the history past 150 events.
        const big = await e.client.workflow.start('manyTimers', {
          taskQueue,
          workflowId: `over-limit-${taskQueue}`,
          args: [200],
        });
        await assert.rejects(big.result(), terminated('Workflow history count exceeds limit.'));
        const { events } = await big.fetchHistory();
        const last = events?.at(-1);
        assert.equal(last?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
        assert.equal(
          last?.workflowExecutionTerminatedEventAttributes?.reason,
          'Workflow history count exceeds limit.',
        );
        assert.equal(last?.workflowExecutionTerminatedEventAttributes?.identity, 'history-service');
        assert.ok((events?.length ?? 0) <= 152, `${events?.length} events`);

        // The same queue and worker serve the next workflow.
        const greeted = await e.client.workflow.execute('greeting', {
          taskQueue,
          workflowId: `after-limit-${taskQueue}`,
          args: ['limits'],
        });
        assert.equal(greeted, 'Hello, limits!');
        assert.equal(running.worker.getState(), 'RUNNING');

        const sleeping = await e.client.workflow.start('sleeper', {
          taskQueue,
          workflowId: `terminate-${taskQueue}`,
          args: [60_000],
        });
        await sleeping.terminate('operator');
        assert.equal((await sleeping.describe()).status.name, 'TERMINATED');
      } finally {
        await running.stop();
      }
    });

    test('a completion with a payload over the blob limit terminates its workflow, as Temporal does', async () => {
      const taskQueue = e.taskQueue('blob');
      await e.withWorker(taskQueue, async () => {
        // A start whose own input is over the blob limit is refused and starts nothing.
        await assert.rejects(
          e.client.workflow.start('echoWorkflow', {
            taskQueue,
            workflowId: `blob-start-${taskQueue}`,
            args: ['x'.repeat(100_000)],
          }),
          (error: unknown) => {
            // The client's ServiceError wraps the gRPC status.
            const grpc = (error as { cause?: { code?: number; details?: string } }).cause;
            assert.equal(grpc?.code, 3 /* INVALID_ARGUMENT */, String(error));
            assert.equal(grpc?.details, 'Blob data size exceeds limit.');
            return true;
          },
        );
        // The workflow's input is small; the activity input it builds is over the 64 KiB blob limit.
        const handle = await e.client.workflow.start('echoRepeated', {
          taskQueue,
          workflowId: `blob-${taskQueue}`,
          args: ['x'.repeat(1_000), 100],
        });
        const reason =
          'BadScheduleActivityAttributes: ScheduleActivityTaskCommandAttributes.Input exceeds size limit.';
        await assert.rejects(handle.result(), terminated(reason));
        const { events } = await handle.fetchHistory();
        const failed = events?.at(-2);
        assert.equal(failed?.eventType, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
        assert.equal(failed?.workflowTaskFailedEventAttributes?.failure?.message, reason);
        assert.equal(events?.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason, reason);
        assert.equal(
          await e.client.workflow.execute('greeting', {
            taskQueue,
            workflowId: `blob-after-${taskQueue}`,
            args: ['blob'],
          }),
          'Hello, blob!',
        );
      });
    });

    test('a query answer over the blob limit fails the query with Temporal’s message; the worker goes on', async () => {
      const taskQueue = e.taskQueue('query-blob');
      await e.withWorker(taskQueue, async () => {
        const handle = await e.client.workflow.start('queryable', {
          taskQueue,
          workflowId: `query-blob-${taskQueue}`,
        });
        assert.equal(await handle.query('sized', 1_000), 'x'.repeat(1_000));
        await assert.rejects(handle.query('sized', 100_000), (error: unknown) => {
          const text = `${(error as Error).message} ${String((error as { cause?: unknown }).cause ?? '')}`;
          assert.match(text, /Blob data size exceeds limit\./, String(error));
          return true;
        });
        assert.equal(await handle.query('state'), 'waiting');
        await handle.signal('finish');
        assert.equal(await handle.result(), 'done');
      });
    });
  });

  describe(`scenario 25: namespace rate limit [${db}]`, () => {
    let e: CompatEnv;
    before(async () => {
      e = await startEnv(db, {
        env: { HUGO_ORCHESTRATOR_NAMESPACE_RPS: '2', HUGO_ORCHESTRATOR_NAMESPACE_BURST: '2' },
      });
    });
    after(() => e?.close());

    test('requests over the namespace rate get RESOURCE_EXHAUSTED', async () => {
      // No retry interceptor: the SDK's default one retries RESOURCE_EXHAUSTED, as it should.
      const connection = await Connection.connect({ address: e.server.address, interceptors: [] });
      try {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, () =>
            connection.workflowService.describeNamespace({ namespace: 'default' }),
          ),
        );
        const refused = outcomes.filter((o) => o.status === 'rejected');
        assert.ok(refused.length >= 1, 'some calls were refused');
        for (const o of refused)
          assert.equal((o.reason as { code?: number }).code, 8 /* RESOURCE_EXHAUSTED */);
      } finally {
        await connection.close();
      }
    });
  });
}
