import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@odin/api';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { startDevServer } from '@odin/server';
import { type CompatEnv, compatSuite } from './harness.js';
import { eventually as poll } from './polling.js';

/** Batch jobs run in the worker role's own time: a little longer than the default wait. */
const eventually = <T>(read: () => Promise<T>, ok: (value: T) => boolean) => poll(read, ok, 20_000);
import { signalCollector } from './workflows/signals.js';

const State = temporal.api.enums.v1.BatchOperationState;
const Type = temporal.api.enums.v1.BatchOperationType;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const EventType = temporal.api.enums.v1.EventType;
const NAMESPACE = 'default';
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;

function assertCode(code: number) {
  return (err: unknown) => {
    assert.equal((err as { code?: number }).code, code, String(err));
    return true;
  };
}

/** Starts `n` runs on a queue nobody polls (they stay running) and waits until visibility lists them all. */
async function startIdle(
  e: CompatEnv,
  label: string,
  n: number,
): Promise<{ taskQueue: string; ids: string[] }> {
  const taskQueue = e.taskQueue(label);
  const ids = Array.from({ length: n }, (_, i) => `${taskQueue}-wf-${i}`);
  for (const workflowId of ids)
    await e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [1] });
  const count = await eventually(
    async () =>
      Number(
        (
          await e.client.workflowService.countWorkflowExecutions({
            namespace: NAMESPACE,
            query: `TaskQueue = '${taskQueue}'`,
          })
        ).count,
      ),
    (c) => c === n,
  );
  assert.equal(count, n);
  return { taskQueue, ids };
}

const describeJob = (e: CompatEnv, jobId: string) =>
  e.client.workflowService.describeBatchOperation({ namespace: NAMESPACE, jobId });

async function waitClosed(e: CompatEnv, jobId: string) {
  return eventually(
    () => describeJob(e, jobId),
    (d) => d.state !== State.BATCH_OPERATION_STATE_RUNNING,
  );
}

compatSuite('scenario 31: batch operations', (env, topology) => {
  test('terminate by visibility query: describe counts every run, the job id is unique, list shows it', async () => {
    const e = env();
    const { taskQueue, ids } = await startIdle(e, 'batch-terminate', 3);
    const jobId = `terminate-${taskQueue}`;
    const request = {
      namespace: NAMESPACE,
      jobId,
      reason: 'clean up',
      visibilityQuery: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
      terminationOperation: { identity: 'batch-tester' },
    };
    await e.client.workflowService.startBatchOperation(request);
    await assert.rejects(e.client.workflowService.startBatchOperation(request), assertCode(ALREADY_EXISTS));

    const done = await waitClosed(e, jobId);
    assert.equal(done.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.equal(done.operationType, Type.BATCH_OPERATION_TYPE_TERMINATE);
    assert.equal(done.jobId, jobId);
    assert.deepEqual(
      [
        Number(done.totalOperationCount),
        Number(done.completeOperationCount),
        Number(done.failureOperationCount),
      ],
      [3, 3, 0],
    );
    assert.equal(done.identity, 'batch-tester');
    assert.equal(done.reason, 'clean up');
    assert.ok(Number(done.startTime?.seconds) > 0);
    assert.ok(Number(done.closeTime?.seconds) >= Number(done.startTime?.seconds));
    for (const workflowId of ids) {
      const d = await e.client.workflow.getHandle(workflowId).describe();
      assert.equal(d.raw.workflowExecutionInfo?.status, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    }

    const listed = await e.client.workflowService.listBatchOperations({
      namespace: NAMESPACE,
      pageSize: 100,
    });
    const info = listed.operationInfo?.find((o) => o.jobId === jobId);
    assert.equal(info?.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.equal(info?.operationType, Type.BATCH_OPERATION_TYPE_TERMINATE);

    // Then a delete of the same runs, given as an explicit list.
    const deleteId = `delete-${taskQueue}`;
    await e.client.workflowService.startBatchOperation({
      namespace: NAMESPACE,
      jobId: deleteId,
      reason: 'remove',
      executions: ids.map((workflowId) => ({ workflowId })),
      deletionOperation: {},
    });
    const deleted = await waitClosed(e, deleteId);
    assert.equal(deleted.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.equal(Number(deleted.completeOperationCount), 3);
    for (const workflowId of ids) {
      const gone = await eventually(
        () =>
          e.client.workflow
            .getHandle(workflowId)
            .describe()
            .then(
              () => false,
              (err: { code?: number; cause?: { code?: number } }) =>
                err.code === NOT_FOUND || err.cause?.code === NOT_FOUND || /not found/i.test(String(err)),
            ),
        (g) => g,
      );
      assert.ok(gone, `${workflowId} is deleted`);
    }
  });

  test('signal by explicit executions carries the input; cancel by query records the request', async () => {
    const e = env();
    const taskQueue = e.taskQueue('batch-signal');
    const ids = [`${taskQueue}-a`, `${taskQueue}-b`];
    await e.withWorker(taskQueue, async () => {
      const handles = await Promise.all(
        ids.map((workflowId) =>
          e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [1] }),
        ),
      );
      await e.client.workflowService.startBatchOperation({
        namespace: NAMESPACE,
        jobId: `signal-${taskQueue}`,
        reason: 'nudge',
        executions: ids.map((workflowId) => ({ workflowId })),
        signalOperation: {
          signal: 'add',
          input: { payloads: [defaultPayloadConverter.toPayload('from-batch')] },
          identity: 'batch-tester',
        },
      });
      for (const handle of handles) assert.deepEqual(await handle.result(), ['from-batch']);
      const done = await waitClosed(e, `signal-${taskQueue}`);
      assert.equal(done.state, State.BATCH_OPERATION_STATE_COMPLETED);
      assert.equal(Number(done.completeOperationCount), 2);
    });

    const idle = await startIdle(e, 'batch-cancel', 2);
    const cancelId = `cancel-${idle.taskQueue}`;
    await e.client.workflowService.startBatchOperation({
      namespace: NAMESPACE,
      jobId: cancelId,
      reason: 'stop them',
      visibilityQuery: `TaskQueue = '${idle.taskQueue}'`,
      cancellationOperation: {},
    });
    const cancelled = await waitClosed(e, cancelId);
    assert.equal(cancelled.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.equal(Number(cancelled.completeOperationCount), 2);
    for (const workflowId of idle.ids) {
      const { events } = await e.client.workflow.getHandle(workflowId).fetchHistory();
      assert.ok(
        events?.some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED),
        `${workflowId} has a cancel request`,
      );
    }
  });

  test('reset to the first workflow task: a new run with the signals reapplied, the old one terminated', async () => {
    const e = env();
    const taskQueue = e.taskQueue('batch-reset');
    const workflowId = `${taskQueue}-wf`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [2] });
      await handle.signal('add', 'a');
      await eventually(
        async () => (await handle.fetchHistory()).events ?? [],
        (events) =>
          events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length >= 2,
      );
      const jobId = `reset-${taskQueue}`;
      await e.client.workflowService.startBatchOperation({
        namespace: NAMESPACE,
        jobId,
        reason: 'redo',
        executions: [{ workflowId }],
        resetOperation: {
          options: { firstWorkflowTask: {} },
          identity: 'batch-tester',
          // Written into the new run after the reset, after the signal it reapplies.
          postResetOperations: [
            {
              signalWorkflow: {
                signalName: 'add',
                input: { payloads: [defaultPayloadConverter.toPayload('posted')] },
              },
            },
          ],
        },
      });
      const done = await waitClosed(e, jobId);
      assert.equal(done.state, State.BATCH_OPERATION_STATE_COMPLETED);
      assert.equal(done.operationType, Type.BATCH_OPERATION_TYPE_RESET);
      assert.deepEqual([Number(done.completeOperationCount), Number(done.failureOperationCount)], [1, 0]);

      const old = await e.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
      assert.equal(old.raw.workflowExecutionInfo?.status, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
      const current = e.client.workflow.getHandle(workflowId);
      const now = await current.describe();
      assert.notEqual(now.runId, handle.firstExecutionRunId);
      const { events } = await current.fetchHistory();
      const failed = events?.find((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      assert.equal(
        failed?.workflowTaskFailedEventAttributes?.cause,
        temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
      );
      assert.deepEqual(await current.result(), ['a', 'posted']);
      const signaled = events?.filter(
        (ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      );
      assert.equal(signaled?.at(-1)?.workflowExecutionSignaledEventAttributes?.identity, 'batch-tester');
    });

    const refused = { namespace: NAMESPACE, reason: 'r', executions: [{ workflowId }] };
    for (const resetOperation of [{}, { options: {} }])
      await assert.rejects(
        e.client.workflowService.startBatchOperation({
          ...refused,
          jobId: `bad-reset-${taskQueue}`,
          resetOperation,
        }),
        assertCode(INVALID_ARGUMENT),
      );
    // A versioning override after the reset is refused at once (this server has no worker versioning), not skipped.
    await assert.rejects(
      e.client.workflowService.startBatchOperation({
        ...refused,
        jobId: `bad-reset-${taskQueue}`,
        resetOperation: {
          options: { firstWorkflowTask: {} },
          postResetOperations: [
            { signalWorkflow: { signalName: 'add' } },
            {
              updateWorkflowOptions: {
                workflowExecutionOptions: { versioningOverride: { autoUpgrade: true } },
                updateMask: { paths: ['versioning_override'] },
              },
            },
          ],
        },
      }),
      assertCode(UNIMPLEMENTED),
    );
    await assert.rejects(
      e.client.workflowService.startBatchOperation({
        ...refused,
        jobId: `bad-reset-${taskQueue}`,
        resetOperation: { options: { firstWorkflowTask: {} }, postResetOperations: [{ signalWorkflow: {} }] },
      }),
      assertCode(INVALID_ARGUMENT),
    );
    await assert.rejects(describeJob(e, `bad-reset-${taskQueue}`), assertCode(NOT_FOUND));
  });

  test('reset by build id goes back to the first workflow task that build completed; an unknown build id fails', async () => {
    const e = env();
    const taskQueue = e.taskQueue('batch-reset-build');
    const workflowId = `${taskQueue}-wf`;
    const handle = await e.withWorker(
      taskQueue,
      async () => {
        const h = await e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [3] });
        await h.signal('add', 'a');
        await eventually(
          async () => (await h.fetchHistory()).events ?? [],
          (events) =>
            events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length >= 2,
        );
        return h;
      },
      { buildId: 'build-a' },
    );
    await e.withWorker(
      taskQueue,
      async () => {
        await handle.signal('add', 'b');
        await eventually(
          async () => (await handle.fetchHistory()).events ?? [],
          (events) =>
            events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length >= 3,
        );
        const before = (await handle.fetchHistory()).events ?? [];
        const byB = before.find(
          (ev) =>
            ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
            ev.workflowTaskCompletedEventAttributes?.binaryChecksum === 'build-b',
        );
        assert.ok(byB, 'the second worker sends its build id');

        const jobId = `reset-build-${taskQueue}`;
        await e.client.workflowService.startBatchOperation({
          namespace: NAMESPACE,
          jobId,
          reason: 'bad deploy',
          executions: [{ workflowId }, { workflowId: `${taskQueue}-missing` }],
          resetOperation: { options: { buildId: 'build-b', currentRunOnly: true } },
        });
        const done = await waitClosed(e, jobId);
        assert.equal(done.state, State.BATCH_OPERATION_STATE_COMPLETED);
        assert.deepEqual([Number(done.completeOperationCount), Number(done.failureOperationCount)], [1, 1]);
        const current = e.client.workflow.getHandle(workflowId);
        assert.notEqual((await current.describe()).runId, handle.firstExecutionRunId);
        const { events } = await current.fetchHistory();
        const failed = events?.find((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
        assert.equal(
          failed?.workflowTaskFailedEventAttributes?.cause,
          temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
        );
        // The new run kept history up to the task build-b completed first, and that task is redone.
        assert.equal(Number(failed?.eventId), Number(byB.eventId));
        await current.signal('add', 'c');
        assert.deepEqual(await current.result(), ['a', 'b', 'c']);

        const unknown = `reset-unknown-build-${taskQueue}`;
        await e.client.workflowService.startBatchOperation({
          namespace: NAMESPACE,
          jobId: unknown,
          reason: 'r',
          executions: [{ workflowId }],
          resetOperation: { options: { buildId: 'build-z' } },
        });
        const none = await waitClosed(e, unknown);
        assert.deepEqual([Number(none.completeOperationCount), Number(none.failureOperationCount)], [0, 1]);
      },
      { buildId: 'build-b' },
    );
  });

  test('a namespace runs one job at a time (RESOURCE_EXHAUSTED); max_operations_per_second paces a job', async () => {
    const e = env();
    const { taskQueue, ids } = await startIdle(e, 'batch-limit', 5);
    const jobId = `slow-${taskQueue}`;
    // One operation a second: the job runs for four seconds at least.
    await e.client.workflowService.startBatchOperation({
      namespace: NAMESPACE,
      jobId,
      reason: 'slowly',
      executions: ids.map((workflowId) => ({ workflowId })),
      terminationOperation: {},
      maxOperationsPerSecond: 1,
    });
    const second = {
      namespace: NAMESPACE,
      jobId: `second-${taskQueue}`,
      reason: 'r',
      visibilityQuery: `TaskQueue = '${taskQueue}'`,
      terminationOperation: {},
    };
    // No retry interceptor: the SDK's default one retries RESOURCE_EXHAUSTED until the first job is done.
    const connection = await Connection.connect({ address: e.server.address, interceptors: [] });
    const once = connection.workflowService;
    await assert.rejects(once.startBatchOperation(second), (err: unknown) => {
      assert.equal((err as { code?: number }).code, RESOURCE_EXHAUSTED, String(err));
      assert.match(String((err as Error).message), /Max concurrent batch operations is reached/);
      return true;
    });
    await connection.close();
    await assert.rejects(describeJob(e, second.jobId), assertCode(NOT_FOUND));
    const running = await describeJob(e, jobId);
    assert.equal(running.state, State.BATCH_OPERATION_STATE_RUNNING);
    assert.ok(Number(running.completeOperationCount) < 5);
    // Once it closed, the next one is taken.
    const done = await waitClosed(e, jobId);
    assert.equal(done.state, State.BATCH_OPERATION_STATE_COMPLETED);
    assert.equal(Number(done.completeOperationCount), 5);
    await e.client.workflowService.startBatchOperation(second);
    assert.equal((await waitClosed(e, second.jobId)).state, State.BATCH_OPERATION_STATE_COMPLETED);
  });

  test('stop ends a running job FAILED; bad requests are refused with nothing written', async () => {
    const e = env();
    const { taskQueue } = await startIdle(e, 'batch-stop', 1);
    const jobId = `stop-${taskQueue}`;
    await e.client.workflowService.startBatchOperation({
      namespace: NAMESPACE,
      jobId,
      reason: 'r',
      visibilityQuery: `TaskQueue = '${taskQueue}'`,
      terminationOperation: {},
    });
    // The worker may finish the job first (it scans every second): then the stop finds nothing running.
    const stopped = await e.client.workflowService
      .stopBatchOperation({ namespace: NAMESPACE, jobId, reason: 'enough', identity: 'batch-tester' })
      .then(
        () => true,
        (err: { code?: number }) => {
          assert.equal(err.code, NOT_FOUND, String(err));
          return false;
        },
      );
    const after = await describeJob(e, jobId);
    if (stopped) {
      assert.equal(after.state, State.BATCH_OPERATION_STATE_FAILED);
      assert.ok(after.closeTime);
      // It stays stopped: the worker leaves it alone.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((await describeJob(e, jobId)).state, State.BATCH_OPERATION_STATE_FAILED);
    } else {
      assert.equal(after.state, State.BATCH_OPERATION_STATE_COMPLETED);
    }
    await assert.rejects(
      e.client.workflowService.stopBatchOperation({ namespace: NAMESPACE, jobId, reason: 'again' }),
      assertCode(NOT_FOUND),
    );
    await assert.rejects(describeJob(e, 'no-such-job'), assertCode(NOT_FOUND));

    const base = { namespace: NAMESPACE, reason: 'r', terminationOperation: {} };
    const refused = [
      { ...base, jobId: 'bad-1', visibilityQuery: 'WorkflowId = ' },
      { ...base, jobId: 'bad-2', visibilityQuery: `TaskQueue = 'x'`, executions: [{ workflowId: 'w' }] },
      { ...base, jobId: 'bad-3' },
      { namespace: NAMESPACE, jobId: 'bad-4', reason: 'r', visibilityQuery: `TaskQueue = 'x'` },
      { ...base, jobId: '', visibilityQuery: `TaskQueue = 'x'` },
    ];
    for (const request of refused)
      await assert.rejects(
        e.client.workflowService.startBatchOperation(request),
        assertCode(INVALID_ARGUMENT),
      );
    for (const jobId of ['bad-1', 'bad-2', 'bad-3', 'bad-4'])
      await assert.rejects(describeJob(e, jobId), assertCode(NOT_FOUND));
  });

  // Last in the suite: it replaces the environment's server with a new one on the same database. Not on the cluster
  // topology, whose processes are restarted by scenario 20's own harness.
  if (topology !== 'cluster')
    test('a job acknowledged before a restart is run to the end by the restarted server', async () => {
      const e = env();
      const jobId = `restart-${e.taskQueue('batch-restart')}`;
      // Runs that do not exist: each terminate is quick and counts as done, so the job spans the restart only by
      // luck of timing; what is checked is that nothing acknowledged is lost and the counts come out whole.
      const executions = Array.from({ length: 300 }, (_, i) => ({ workflowId: `${jobId}-missing-${i}` }));
      await e.client.workflowService.startBatchOperation({
        namespace: NAMESPACE,
        jobId,
        reason: 'across a restart',
        executions,
        terminationOperation: {},
      });
      await e.server.stop();
      const again = await startDevServer({ port: 0, dbUrl: e.dbUrl, logLevel: 'warn', shardCount: 8 });
      const connection = await Connection.connect({ address: again.address });
      try {
        const client = new Client({ connection, namespace: NAMESPACE });
        const done = await eventually(
          () => client.workflowService.describeBatchOperation({ namespace: NAMESPACE, jobId }),
          (d) => d.state !== State.BATCH_OPERATION_STATE_RUNNING,
        );
        assert.equal(done.state, State.BATCH_OPERATION_STATE_COMPLETED);
        assert.deepEqual(
          [
            Number(done.totalOperationCount),
            Number(done.completeOperationCount),
            Number(done.failureOperationCount),
          ],
          [300, 300, 0],
        );
      } finally {
        await connection.close();
        await again.stop();
      }
    });
});
