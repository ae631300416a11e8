import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time.js';
import { compatSuite } from './harness.js';
import { eventually } from './polling.js';

compatSuite('scenario 10: describe, history pages and lists', (env) => {
  test('describe reports a completed run', async () => {
    const e = env();
    const taskQueue = e.taskQueue('describe');
    const workflowId = `describe-${taskQueue}`;
    await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('greeting', { taskQueue, workflowId, args: ['x'] }),
    );
    const description = await e.client.workflow.getHandle(workflowId).describe();
    assert.equal(description.workflowId, workflowId);
    assert.equal(description.type, 'greeting');
    assert.equal(description.taskQueue, taskQueue);
    assert.equal(description.status.name, 'COMPLETED');
    assert.ok(description.historyLength >= 11, `history length ${description.historyLength}`);
    assert.ok(description.closeTime && description.closeTime >= description.startTime);
  });

  test('history pages through contiguous events with a page token', async () => {
    const e = env();
    const taskQueue = e.taskQueue('pages');
    const workflowId = `pages-${taskQueue}`;
    const runId = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('manyTimers', { taskQueue, workflowId, args: [40] });
      await handle.result();
      return handle.firstExecutionRunId;
    });
    const ids: number[] = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await e.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId, runId },
        maximumPageSize: 10,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      for (const event of page.history?.events ?? []) ids.push(Number(event.eventId));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages++;
    } while (nextPageToken && pages < 100);
    assert.ok(pages >= 8, `expected several pages, got ${pages}`);
    assert.deepEqual(
      ids,
      Array.from({ length: ids.length }, (_, i) => i + 1),
    );
    const whole = await e.client.workflow.getHandle(workflowId).fetchHistory();
    assert.equal(ids.length, whole.events?.length);
  });

  test('list and count filter by workflow id, type and status', async () => {
    const e = env();
    const taskQueue = e.taskQueue('list');
    const doneIds = [`list-a-${taskQueue}`, `list-b-${taskQueue}`];
    await e.withWorker(taskQueue, async () => {
      for (const workflowId of doneIds) {
        await e.client.workflow.execute('greeting', { taskQueue, workflowId, args: ['l'] });
      }
    });
    const runningId = `list-running-${taskQueue}`;
    await e.client.workflow.start('sleeper', { taskQueue, workflowId: runningId, args: [60_000] });

    const listIds = async (query: string) => {
      const ids: string[] = [];
      for await (const info of e.client.workflow.list({ query })) ids.push(info.workflowId);
      return ids.sort();
    };
    const byId = await eventually(
      () => listIds(`WorkflowId = '${doneIds[0]}'`),
      (ids) => ids.length === 1,
    );
    assert.deepEqual(byId, [doneIds[0]]);
    const completed = await eventually(
      () => listIds(`WorkflowType = 'greeting' AND ExecutionStatus = 'Completed'`),
      (ids) => doneIds.every((id) => ids.includes(id)),
    );
    assert.ok(doneIds.every((id) => completed.includes(id)));
    assert.ok(!completed.includes(runningId));
    const running = await eventually(
      () => listIds(`ExecutionStatus = 'Running' AND WorkflowType = 'sleeper'`),
      (ids) => ids.includes(runningId),
    );
    assert.ok(running.includes(runningId));
    assert.ok(!running.some((id) => doneIds.includes(id)));
    const counted = await e.client.workflow.count(`WorkflowId = '${runningId}'`);
    assert.equal(counted.count, 1);
    await assert.rejects(listIds(`StartTime > '2020-01-01'`), (error: unknown) => {
      const cause = (error as { cause?: { code?: number; details?: string } }).cause;
      assert.equal(cause?.code, 3, 'INVALID_ARGUMENT');
      assert.match(
        cause?.details ?? '',
        /invalid query: invalid expression: unable to parse datetime '2020-01-01'/,
      );
      return true;
    });
    await e.client.workflow.getHandle(runningId).terminate('test over');
  });

  test('the legacy open/closed lists filter by time window, id, type and status', async () => {
    const e = env();
    const taskQueue = e.taskQueue('legacy');
    const service = e.client.workflowService;
    const before = Date.now();
    const doneId = `legacy-done-${taskQueue}`;
    await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('greeting', { taskQueue, workflowId: doneId, args: ['l'] }),
    );
    const runningId = `legacy-running-${taskQueue}`;
    await e.client.workflow.start('sleeper', { taskQueue, workflowId: runningId, args: [60_000] });
    const ts = (ms: number) => msToTs(ms);
    type Page = { executions?: { execution?: { workflowId?: string | null } | null }[] | null };
    const ids = (page: Page) => (page.executions ?? []).map((x) => x.execution?.workflowId ?? '');

    const open = await eventually(
      async (): Promise<Page> =>
        service.listOpenWorkflowExecutions({ namespace: 'default', typeFilter: { name: 'sleeper' } }),
      (page) => ids(page).includes(runningId),
    );
    assert.ok(ids(open).includes(runningId));
    assert.ok(!ids(open).includes(doneId), 'a closed run is not open');
    const openById = await service.listOpenWorkflowExecutions({
      namespace: 'default',
      executionFilter: { workflowId: runningId },
    });
    assert.deepEqual(ids(openById), [runningId]);
    const openLater = await service.listOpenWorkflowExecutions({
      namespace: 'default',
      executionFilter: { workflowId: runningId },
      startTimeFilter: { earliestTime: ts(Date.now() + 3_600_000) },
    });
    assert.deepEqual(ids(openLater), [], 'a window after the start excludes the run');

    const closed = await eventually(
      () =>
        service.listClosedWorkflowExecutions({
          namespace: 'default',
          executionFilter: { workflowId: doneId },
          startTimeFilter: { earliestTime: ts(before - 1000), latestTime: ts(Date.now() + 60_000) },
        }),
      (page) => ids(page).length === 1,
    );
    assert.deepEqual(ids(closed), [doneId]);
    assert.equal(closed.executions?.[0]?.status, 2, 'COMPLETED');
    const byStatus = await service.listClosedWorkflowExecutions({
      namespace: 'default',
      statusFilter: { status: 2 },
      maximumPageSize: 1000,
    });
    assert.ok(ids(byStatus).includes(doneId));
    assert.ok(!ids(byStatus).includes(runningId));
    const failedOnly = await service.listClosedWorkflowExecutions({
      namespace: 'default',
      statusFilter: { status: 3 },
    });
    assert.ok(!ids(failedOnly).includes(doneId), 'a completed run is not in the failed list');

    const invalid = (error: unknown) => (error as { code?: number }).code === 3;
    await assert.rejects(
      service.listClosedWorkflowExecutions({ namespace: 'default', statusFilter: { status: 1 } }),
      invalid,
    );
    await assert.rejects(
      service.listOpenWorkflowExecutions({
        namespace: 'default',
        startTimeFilter: { earliestTime: ts(Date.now()), latestTime: ts(Date.now() - 60_000) },
      }),
      invalid,
    );
    await assert.rejects(
      service.listArchivedWorkflowExecutions({ namespace: 'default', query: '' }),
      (error: unknown) => (error as { code?: number }).code === 9,
    );
    await e.client.workflow.getHandle(runningId).terminate('test over');
  });
});
