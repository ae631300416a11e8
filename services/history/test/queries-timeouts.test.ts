import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import { DEFAULT_HISTORY_LIMITS } from '../src/index.js';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventNames,
  history,
  NS,
  payloads,
  payloadText,
  pollWorkflowTask,
  settle,
  setup,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

const ResultType = temporal.api.enums.v1.QueryResultType;

function query(h: Harness, workflowId: string, deadlineIn = 30_000) {
  return h.history.queryWorkflow(
    NS,
    { namespace: NS.name, execution: { workflowId }, query: { queryType: 'state' } },
    ctx(h.clock.now() + deadlineIn),
  );
}

describe('a query answer over the blob size limit', () => {
  let h: Harness;
  before(async () => {
    h = await setup('sqlite::memory:', {
      historyLimits: { ...DEFAULT_HISTORY_LIMITS, blobWarn: 512, blobError: 1024 },
    });
  });
  after(async () => {
    await h.close();
  });

  test('answered on a workflow task, it fails the query with INVALID_ARGUMENT as Temporal does', async () => {
    await start(h, 'q-big');
    const wft = await pollWorkflowTask(h, 'q-big');
    await complete(h, wft.taskToken, [cmd.timer('t', 600)]);
    await h.history.signalWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'q-big' }, signalName: 'go' },
      ctx(),
    );
    const refused = assert.rejects(query(h, 'q-big'), (e: Error & { code?: number }) => {
      assert.equal(e.code, 3, e.message);
      assert.equal(e.message, 'Blob data size exceeds limit.');
      return true;
    });
    await settle();
    const wft2 = await pollWorkflowTask(h, 'q-big');
    const ids = Object.keys(wft2.queries ?? {});
    assert.equal(ids.length, 1);
    await complete(h, wft2.taskToken, [], {
      queryResults: {
        [ids[0]!]: { resultType: ResultType.QUERY_RESULT_TYPE_ANSWERED, answer: payloads('x'.repeat(2000)) },
      },
    });
    await refused;
    // The completion itself went through: the workflow task completed and the run goes on.
    assert.equal((await eventNames(h, 'q-big')).at(-1), 'WORKFLOW_TASK_COMPLETED');
  });
});

describe('queries', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a query on an idle workflow goes directly to a worker through matching', async () => {
    await start(h, 'q-idle');
    const wft = await pollWorkflowTask(h, 'q-idle');
    await complete(h, wft.taskToken, [cmd.timer('t', 600)]);
    h.matching.queryHandler = async (req) => {
      assert.equal(req.response.query?.queryType, 'state');
      assert.ok((req.response.history?.events?.length ?? 0) >= 5);
      return { completedType: ResultType.QUERY_RESULT_TYPE_ANSWERED, queryResult: payloads('idle-answer') };
    };
    const res = await query(h, 'q-idle');
    assert.equal(payloadText(res.queryResult), 'idle-answer');
  });

  test('a query on a closed workflow is answered, and a worker error maps to INVALID_ARGUMENT', async () => {
    await start(h, 'q-closed');
    const wft = await pollWorkflowTask(h, 'q-closed');
    await complete(h, wft.taskToken, [cmd.complete('x')]);
    h.matching.queryHandler = async () => ({
      completedType: ResultType.QUERY_RESULT_TYPE_FAILED,
      errorMessage: 'Workflow did not register a handler for state',
    });
    await assert.rejects(query(h, 'q-closed'), (e: Error & { code?: number }) => {
      return e.code === 3 && e.message.includes('did not register');
    });
  });

  test('a query while a workflow task is pending rides on that task and is answered by its completion', async () => {
    await start(h, 'q-pending');
    const wft = await pollWorkflowTask(h, 'q-pending');
    await complete(h, wft.taskToken, [cmd.timer('t', 600)]);
    await h.history.signalWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'q-pending' }, signalName: 'go' },
      ctx(),
    );
    h.matching.queryHandler = undefined;
    const answer = query(h, 'q-pending');
    await settle();
    const wft2 = await pollWorkflowTask(h, 'q-pending');
    const ids = Object.keys(wft2.queries ?? {});
    assert.equal(ids.length, 1);
    await complete(h, wft2.taskToken, [], {
      queryResults: {
        [ids[0]!]: { resultType: ResultType.QUERY_RESULT_TYPE_ANSWERED, answer: payloads('from-task') },
      },
    });
    assert.equal(payloadText((await answer).queryResult), 'from-task');
    assert.equal(
      h.matching.queries.filter((q) => q.response.workflowExecution?.workflowId === 'q-pending').length,
      0,
    );
  });

  test('a query before the first workflow task completed waits for it', async () => {
    await start(h, 'q-first');
    let answered = false;
    h.matching.queryHandler = async () => ({
      completedType: ResultType.QUERY_RESULT_TYPE_ANSWERED,
      queryResult: payloads('after-first'),
    });
    const answer = query(h, 'q-first').then((r) => {
      answered = true;
      return r;
    });
    await settle();
    assert.equal(answered, false);
    const wft = await pollWorkflowTask(h, 'q-first');
    // The query rides on the first task if it starts after the query arrived; answer it there.
    const ids = Object.keys(wft.queries ?? {});
    await complete(h, wft.taskToken, [cmd.timer('t', 600)], {
      queryResults: Object.fromEntries(
        ids.map((id) => [
          id,
          { resultType: ResultType.QUERY_RESULT_TYPE_ANSWERED, answer: payloads('after-first') },
        ]),
      ),
    });
    assert.equal(payloadText((await answer).queryResult), 'after-first');
  });

  test('a query on a run that closed before completing a workflow task fails at once with WorkflowNotReady', async () => {
    await start(h, 'q-closed-early');
    // The first workflow task starts but never completes: the run is terminated while it runs.
    await pollWorkflowTask(h, 'q-closed-early');
    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'q-closed-early' }, reason: 'stop' },
      ctx(),
    );
    const dispatched = h.matching.queries.length;
    h.matching.queryHandler = async () => ({
      completedType: ResultType.QUERY_RESULT_TYPE_ANSWERED,
      queryResult: payloads('from a workflow that never ran a task'),
    });
    await assert.rejects(
      query(h, 'q-closed-early'),
      (e: Error & { code?: number; detail?: { typeName: string } }) => {
        assert.equal(e.code, 9, e.message);
        assert.equal(e.detail?.typeName, 'temporal.api.errordetails.v1.WorkflowNotReadyFailure');
        return true;
      },
    );
    assert.equal(h.matching.queries.length, dispatched, 'no query task reaches a worker');
  });

  test('with no worker the query fails with DEADLINE_EXCEEDED at the deadline', async () => {
    await start(h, 'q-noworker');
    const wft = await pollWorkflowTask(h, 'q-noworker');
    await complete(h, wft.taskToken, [cmd.timer('t', 600)]);
    await h.history.signalWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'q-noworker' }, signalName: 'go' },
      ctx(),
    );
    const pending = query(h, 'q-noworker', 5_000);
    const assertion = assert.rejects(pending, (e: { code?: number }) => e.code === 4);
    await advance(h, 5_000);
    await assertion;
  });
});

describe('workflow task failures and workflow timeouts', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a failed first attempt is recorded once; later attempts are transient and retried after timeouts', async () => {
    await start(h, 't-wft');
    const wft = await pollWorkflowTask(h, 't-wft');
    await h.history.respondWorkflowTaskFailed(
      NS,
      {
        namespace: NS.name,
        taskToken: wft.taskToken,
        cause:
          temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
        failure: { message: 'nondeterminism' },
      },
      ctx(),
    );
    const attempt2 = await pollWorkflowTask(h, 't-wft');
    assert.equal(attempt2.attempt, 2);
    // The worker stays silent on attempt 2; the start-to-close timeout (10s) retries it without new events.
    await advance(h, 10_000);
    const attempt3 = await pollWorkflowTask(h, 't-wft');
    assert.equal(attempt3.attempt, 3);
    assert.deepEqual(await eventNames(h, 't-wft'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
    ]);
    const events = attempt3.history?.events ?? [];
    assert.deepEqual(
      events.map((e) => Number(e.eventId)),
      [1, 2, 3, 4, 5, 6],
    );
    await complete(h, attempt3.taskToken, [cmd.complete('fixed')]);
    assert.deepEqual((await eventNames(h, 't-wft')).slice(4), [
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
    const scheduled = (await history(h, 't-wft'))[4];
    assert.equal(scheduled?.workflowTaskScheduledEventAttributes?.attempt, 3);
  });

  test('a workflow task that times out on its first attempt writes WorkflowTaskTimedOut', async () => {
    await start(h, 't-wft-timeout');
    await pollWorkflowTask(h, 't-wft-timeout');
    await advance(h, 10_000);
    assert.deepEqual((await eventNames(h, 't-wft-timeout')).slice(3), ['WORKFLOW_TASK_TIMED_OUT']);
    const retry = await pollWorkflowTask(h, 't-wft-timeout');
    assert.equal(retry.attempt, 2);
  });

  test('the run timeout closes the workflow with WorkflowExecutionTimedOut', async () => {
    await start(h, 't-run', { workflowRunTimeout: { seconds: 30 } as never });
    const wft = await pollWorkflowTask(h, 't-run');
    await complete(h, wft.taskToken, [cmd.timer('t', 600)]);
    await advance(h, 30_000);
    assert.equal((await eventNames(h, 't-run')).at(-1), 'WORKFLOW_EXECUTION_TIMED_OUT');
  });

  test('the execution timeout closes the workflow with WorkflowExecutionTimedOut', async () => {
    await start(h, 't-exec', { workflowExecutionTimeout: { seconds: 20 } as never });
    await advance(h, 20_000);
    assert.deepEqual((await eventNames(h, 't-exec')).slice(-2), [
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_EXECUTION_TIMED_OUT',
    ]);
  });
});
