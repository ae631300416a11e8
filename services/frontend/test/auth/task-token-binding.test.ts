import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { bindTaskToken, decodeTaskToken, encodeTaskToken, unbindTaskToken } from '@odin/api';
import { WORKFLOW_SERVICE as W } from '../../src/grpc-service.js';
import {
  type AuthSetup,
  authEnv,
  authSetup,
  bearer,
  mintToken,
  NS_A,
  statusOf,
  testKeys,
} from './fixtures.js';

const KEY = Buffer.from(authEnv('').HUGO_ORCHESTRATOR_AUTH_TASK_TOKEN_KEY!, 'utf8');
const activityToken = () =>
  encodeTaskToken({
    kind: 'activity',
    namespaceId: NS_A.id,
    workflowId: 'wf-1',
    runId: 'run-1',
    scheduledEventId: 5,
    activityId: '1',
    attempt: 1,
  });
const workflowToken = () =>
  encodeTaskToken({
    kind: 'workflow',
    namespaceId: NS_A.id,
    workflowId: 'wf-1',
    runId: 'run-1',
    scheduledEventId: 2,
    startedEventId: 3,
    attempt: 1,
  });

describe('task tokens are bound to the caller they were handed to', () => {
  let setup: AuthSetup;
  let keys: Awaited<ReturnType<typeof testKeys>>;
  /** What fake history answered, kept to check the frontend never edits it. */
  const answered: Record<string, unknown>[] = [];

  before(async () => {
    keys = await testKeys();
    const remember = <T extends Record<string, unknown>>(value: T): T => {
      answered.push(value);
      return value;
    };
    setup = await authSetup(authEnv(keys.keyFile), {
      matching: (method) =>
        method === 'pollActivityTaskQueue'
          ? remember({ taskToken: activityToken(), activityId: '1' })
          : method === 'pollWorkflowTaskQueue'
            ? remember({ taskToken: workflowToken() })
            : {},
      history: (method) =>
        method === 'respondWorkflowTaskCompleted'
          ? remember({ activityTasks: [{ taskToken: activityToken() }, { taskToken: activityToken() }] })
          : method === 'startWorkflowExecution'
            ? remember({ runId: 'run-1', eagerWorkflowTask: { taskToken: workflowToken() } })
            : {},
    });
  });

  const as = async (sub: string, permissions: string[] = ['ns-a:worker']) =>
    bearer(await mintToken(keys.trusted, permissions, { sub }));

  async function poll(sub: string): Promise<Uint8Array> {
    const response = (await setup.frontend.invoke(
      W,
      'PollActivityTaskQueue',
      { namespace: 'ns-a', taskQueue: { name: 'q' } },
      { credentials: await as(sub) },
    )) as { taskToken: Uint8Array };
    return response.taskToken;
  }

  const complete = async (token: Uint8Array, sub: string, permissions?: string[]) =>
    setup.frontend.invoke(
      W,
      'RespondActivityTaskCompleted',
      { namespace: 'ns-a', taskToken: token },
      { credentials: await as(sub, permissions) },
    );

  test('a poll hands out a token bound to the poller, which only the poller may answer', async () => {
    const token = await poll('worker-1');
    const opened = unbindTaskToken(token, KEY);
    assert.ok(opened.kind === 'bound');
    assert.equal(opened.bound.subject, 'jwt:worker-1');

    const before = setup.historyCalls.length;
    for (const [other, permissions] of [
      ['worker-2', ['ns-a:worker']],
      ['writer', ['ns-a:write']],
      ['admin', ['ns-a:admin']],
      ['root', ['temporal-system:admin']],
    ] as const) {
      await assert.rejects(
        complete(token, other, [...permissions]),
        (error: { code: number; message: string }) => {
          assert.equal(error.code, status.PERMISSION_DENIED, other);
          assert.match(error.message, /handed to another caller/);
          return true;
        },
      );
    }
    assert.equal(setup.historyCalls.length, before, 'no refused completion reached history');

    await complete(token, 'worker-1');
    const routed = setup.historyCalls.at(-1)!;
    assert.equal(routed.method, 'respondActivityTaskCompleted');
    const inner = (routed.req as { taskToken: Uint8Array }).taskToken;
    assert.deepEqual(Buffer.from(inner), Buffer.from(activityToken()), 'history gets the token it issued');
    assert.equal(decodeTaskToken(inner).namespaceId, NS_A.id);
  });

  test('heartbeats, failures and cancellations are held to the same rule', async () => {
    const token = await poll('worker-1');
    for (const method of [
      'RecordActivityTaskHeartbeat',
      'RespondActivityTaskFailed',
      'RespondActivityTaskCanceled',
    ]) {
      const request = { namespace: 'ns-a', taskToken: token };
      const code = await statusOf(
        setup.frontend.invoke(W, method, request, { credentials: await as('worker-2') }),
      );
      assert.equal(code, status.PERMISSION_DENIED, method);
      assert.equal(
        await statusOf(setup.frontend.invoke(W, method, request, { credentials: await as('worker-1') })),
        status.OK,
        method,
      );
    }
  });

  test('a plain token, an edited envelope or one signed with another key is refused', async () => {
    const refusedWith = async (token: Uint8Array, message: RegExp) =>
      assert.rejects(complete(token, 'worker-1'), (error: { code: number; message: string }) => {
        assert.equal(error.code, status.PERMISSION_DENIED);
        assert.match(error.message, message);
        return true;
      });
    await refusedWith(activityToken(), /not bound to a caller/);
    const bound = await poll('worker-2');
    const envelope = JSON.parse(Buffer.from(bound).toString('utf8')) as Record<string, string>;
    await refusedWith(
      Buffer.from(JSON.stringify({ ...envelope, s: 'jwt:worker-1' })),
      /not signed by this cluster/,
    );
    await refusedWith(
      bindTaskToken(activityToken(), 'jwt:worker-1', Buffer.from('another frontend key, long enough')),
      /not signed by this cluster/,
    );
  });

  test('workflow tasks, eager activities and eager workflow starts are bound too; history’s answers stay as they were', async () => {
    const credentials = await as('worker-1', ['ns-a:worker', 'ns-a:write']);
    const polled = (await setup.frontend.invoke(
      W,
      'PollWorkflowTaskQueue',
      { namespace: 'ns-a', taskQueue: { name: 'q' } },
      { credentials },
    )) as { taskToken: Uint8Array };
    const completed = (await setup.frontend.invoke(
      W,
      'RespondWorkflowTaskCompleted',
      { namespace: 'ns-a', taskToken: polled.taskToken },
      { credentials },
    )) as { activityTasks: { taskToken: Uint8Array }[] };
    const started = (await setup.frontend.invoke(
      W,
      'StartWorkflowExecution',
      {
        namespace: 'ns-a',
        workflowId: 'wf',
        workflowType: { name: 't' },
        taskQueue: { name: 'q' },
        requestEagerExecution: true,
      },
      { credentials },
    )) as { eagerWorkflowTask: { taskToken: Uint8Array } };
    for (const token of [
      polled.taskToken,
      ...completed.activityTasks.map((t) => t.taskToken),
      started.eagerWorkflowTask.taskToken,
    ]) {
      const opened = unbindTaskToken(token, KEY);
      assert.ok(opened.kind === 'bound');
      assert.equal(opened.bound.subject, 'jwt:worker-1');
    }
    for (const answer of answered) {
      const tokens = [
        answer.taskToken,
        ...((answer.activityTasks as { taskToken: Uint8Array }[] | undefined) ?? []).map((t) => t.taskToken),
        (answer.eagerWorkflowTask as { taskToken: Uint8Array } | undefined)?.taskToken,
      ].filter((t): t is Uint8Array => t instanceof Uint8Array);
      for (const token of tokens) assert.equal(unbindTaskToken(token, KEY).kind, 'unbound');
    }
  });

  test('with authorization off, tokens pass untouched and a bound one is not accepted', async () => {
    const open = await authSetup({});
    const token = await poll('worker-1');
    const code = await statusOf(
      open.frontend.invoke(W, 'RespondActivityTaskCompleted', { namespace: 'ns-a', taskToken: token }),
    );
    assert.equal(code, status.INVALID_ARGUMENT);
  });
});
