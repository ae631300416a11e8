// Zero cross-namespace successes against a real server: tenant B runs workflows (a secret in their payloads, task
// tokens outstanding), then callers without a role on ns-b send fuzzed calls of every method over gRPC, naming ns-b
// by name, by id, by its workflow and run ids, by its task tokens (leaked or forged) and by commands. No call on
// ns-b succeeds, no answer carries B's data, and B's workflows and namespace are unchanged at the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeTaskToken } from '@odin/api';
import { type GrpcCallError, OPERATOR_SERVICE, TemporalGrpcClient, WORKFLOW_SERVICE } from '@odin/frontend';
import { protoRoot } from '@odin/api';
import fc from 'fast-check';
import { type AuthServer, startAuthServer } from './auth-fixtures.js';

const SECRET = 'SECRET-OF-TENANT-B';
const payloads = (value: string) => ({
  payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) }],
});
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

/**
 * Every string and byte string in a message, joined, to search for B's data. Walked by hand: a decoded message's
 * toJSON would turn bytes into base64, hiding a payload from the search.
 */
function text(value: unknown, out: string[] = []): string {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('latin1'));
  else if (Array.isArray(value)) for (const item of value) text(item, out);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      text(item, out);
    }
  }
  return out.join(' ');
}

describe('no cross-namespace success against a real server (property)', () => {
  let server: AuthServer;
  let workflows: TemporalGrpcClient;
  let operator: TemporalGrpcClient;
  const b = { id: '', runs: [] as string[], tokens: [] as Uint8Array[] };
  const a = { runs: [] as string[], tokens: [] as Uint8Array[] };
  let root: Record<string, string>;

  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  /** Starts a workflow and takes its first workflow task (and, with `activity`, an activity task too). */
  async function seed(
    namespace: string,
    auth: Record<string, string>,
    workflowId: string,
    activity: boolean,
  ) {
    const queue = `${namespace}-q`;
    const started = await workflows.call(
      'StartWorkflowExecution',
      {
        namespace,
        workflowId,
        workflowType: { name: 'Secretive' },
        taskQueue: { name: queue },
        input: payloads(namespace === 'ns-b' ? SECRET : 'public'),
        workflowTaskTimeout: { seconds: 120 },
        requestId: `${workflowId}-start`,
      },
      { metadata: auth },
    );
    const task = await workflows.call(
      'PollWorkflowTaskQueue',
      { namespace, taskQueue: { name: queue }, identity: 'seed' },
      { metadata: auth },
    );
    const tokens = [task.taskToken as Uint8Array];
    if (activity) {
      await workflows.call(
        'RespondWorkflowTaskCompleted',
        {
          namespace,
          taskToken: task.taskToken,
          commands: [
            {
              commandType: 1, // SCHEDULE_ACTIVITY_TASK
              scheduleActivityTaskCommandAttributes: {
                activityId: 'act-1',
                activityType: { name: 'Reveal' },
                taskQueue: { name: queue },
                input: payloads(namespace === 'ns-b' ? SECRET : 'public'),
                scheduleToCloseTimeout: { seconds: 3600 },
                startToCloseTimeout: { seconds: 3600 },
              },
            },
          ],
        },
        { metadata: auth },
      );
      const act = await workflows.call(
        'PollActivityTaskQueue',
        { namespace, taskQueue: { name: queue }, identity: 'seed' },
        { metadata: auth },
      );
      tokens.push(act.taskToken as Uint8Array);
    }
    return { runId: started.runId as string, tokens };
  }

  async function snapshotOfB(): Promise<string> {
    const parts: unknown[] = [];
    for (const [i, runId] of b.runs.entries()) {
      const history = await workflows.call(
        'GetWorkflowExecutionHistory',
        { namespace: 'ns-b', execution: { workflowId: `wf-b-${i + 1}`, runId } },
        { metadata: root },
      );
      const described = await workflows.call(
        'DescribeWorkflowExecution',
        { namespace: 'ns-b', execution: { workflowId: `wf-b-${i + 1}`, runId } },
        { metadata: root },
      );
      parts.push(
        (history.history as { events: unknown[] }).events.length,
        text(described.workflowExecutionInfo),
      );
    }
    const count = await workflows.call('CountWorkflowExecutions', { namespace: 'ns-b' }, { metadata: root });
    const ns = await workflows.call('DescribeNamespace', { namespace: 'ns-b' }, { metadata: root });
    parts.push(text(count), text(ns));
    return JSON.stringify(parts);
  }

  before(async () => {
    server = await startAuthServer();
    workflows = new TemporalGrpcClient(server.address);
    operator = new TemporalGrpcClient(server.address, OPERATOR_SERVICE);
    root = as(await server.token('root', ['temporal-system:admin']));
    const tenantB = as(await server.token('worker-b', ['ns-b:worker', 'ns-b:write']));
    const tenantA = as(await server.token('worker-a', ['ns-a:worker', 'ns-a:write']));
    b.id = (
      (await workflows.call('DescribeNamespace', { namespace: 'ns-b' }, { metadata: root }))
        .namespaceInfo as {
        id: string;
      }
    ).id;
    for (const [workflowId, activity] of [
      ['wf-b-1', true],
      ['wf-b-2', false],
    ] as const) {
      const seeded = await seed('ns-b', tenantB, workflowId, activity);
      b.runs.push(seeded.runId);
      b.tokens.push(...seeded.tokens);
    }
    const seededA = await seed('ns-a', tenantA, 'wf-a-1', true);
    a.runs.push(seededA.runId);
    a.tokens.push(...seededA.tokens);
    // Tokens of B as an attacker could forge them: right namespace id, run id and event ids, but not signed.
    b.tokens.push(
      encodeTaskToken({
        kind: 'activity',
        namespaceId: b.id,
        workflowId: 'wf-b-1',
        runId: b.runs[0]!,
        scheduledEventId: 5,
        activityId: 'act-1',
        attempt: 1,
      }),
      encodeTaskToken({
        kind: 'workflow',
        namespaceId: b.id,
        workflowId: 'wf-b-2',
        runId: b.runs[1]!,
        scheduledEventId: 2,
        startedEventId: 3,
        attempt: 1,
      }),
    );
  });

  after(async () => {
    workflows?.close();
    operator?.close();
    await server?.stop();
  });

  test('the oracle sees B’s data where a caller may read it', async () => {
    const readerB = as(await server.token('reader-b', ['ns-b:read']));
    const history = await workflows.call(
      'GetWorkflowExecutionHistory',
      { namespace: 'ns-b', execution: { workflowId: 'wf-b-1' } },
      { metadata: readerB },
    );
    assert.ok(text(history).includes(SECRET));
  });

  test('callers without a role on ns-b never get ns-b answered or changed', async () => {
    const before = await snapshotOfB();
    assert.match(before, new RegExp(b.runs[0]!), 'the snapshot sees B’s runs');

    const outsiders: [string, Record<string, string>][] = [
      ['none', {}],
      ['reader a', as(await server.token('reader-a', ['ns-a:read']))],
      ['writer a', as(await server.token('writer-a', ['ns-a:write']))],
      ['worker a', as(await server.token('worker-a', ['ns-a:worker', 'ns-a:write']))],
      ['admin a', as(await server.token('admin-a', ['ns-a:admin']))],
      [
        'look-alikes',
        as(await server.token('x', ['ns-B:admin', 'ns-b-:admin', ' ns-b:admin', 'ns-b :admin'])),
      ],
      ['default admin', as(await server.token('d', ['default:admin']))],
      // B's worker's subject, with roles on ns-a only: the tokens bound to that subject still need ns-b rights.
      ['worker-b’s subject, a’s roles', as(await server.token('worker-b', ['ns-a:admin']))],
      ['expired root', as(await server.token('root', ['temporal-system:admin'], { expiresInS: -60 }))],
      ['root by another key', as(await server.token('root', ['temporal-system:admin'], { untrusted: true }))],
      ['not a JWT', { authorization: 'Bearer ns-b' }],
    ];
    const methods = [
      ...Object.keys(protoRoot.lookupService(WORKFLOW_SERVICE).methods).map((m) => ({
        client: workflows,
        method: m,
      })),
      ...Object.keys(protoRoot.lookupService(OPERATOR_SERVICE).methods).map((m) => ({
        client: operator,
        method: m,
      })),
    ];
    const execution = fc.record({
      workflowId: fc.constantFrom('wf-b-1', 'wf-b-2', 'wf-a-1'),
      runId: fc.constantFrom(...b.runs, ...a.runs, ''),
    });
    const request = fc.record(
      {
        namespace: fc.constantFrom('ns-b', 'ns-B', 'ns-b ', 'ns-a', 'default', ''),
        namespaceId: fc.constant(b.id),
        id: fc.constant(b.id),
        execution,
        workflowExecution: execution,
        workflowId: fc.constantFrom('wf-b-1', 'wf-a-1'),
        runId: fc.constantFrom(...b.runs),
        taskToken: fc.constantFrom(...b.tokens, ...a.tokens),
        activityId: fc.constant('act-1'),
        taskQueue: fc.constantFrom({ name: 'ns-b-q' }, { name: 'ns-a-q' }),
        workflowType: fc.constant({ name: 'Secretive' }),
        signalName: fc.constant('poke'),
        query: fc.constant({ queryType: '__stack_trace' }),
        requestId: fc.uuid(),
        identity: fc.constant('fuzzer'),
        commands: fc.constant([
          {
            commandType: 11, // START_CHILD_WORKFLOW_EXECUTION
            startChildWorkflowExecutionCommandAttributes: {
              namespace: 'ns-b',
              workflowId: 'planted',
              workflowType: { name: 'Secretive' },
              taskQueue: { name: 'ns-b-q' },
            },
          },
        ]),
        result: fc.constant(payloads('tampered')),
        updateInfo: fc.constant({ description: 'tampered' }),
      },
      { requiredKeys: [] },
    );

    let calls = 0;
    let refused = 0;
    let succeeded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...outsiders),
        fc.constantFrom(...methods),
        request,
        async (who, target, req) => {
          const [name, metadata] = who;
          calls++;
          // B's data in an answer is a leak unless the caller sent it itself (a run id echoed in NOT_FOUND).
          const sent = text(req);
          const leaked = (answer: string) =>
            [SECRET, b.id, ...b.runs].filter((secret) => answer.includes(secret) && !sent.includes(secret));
          const label = `${target.method} by ${name}: ${sent.slice(0, 300)}`;
          let response: Record<string, unknown>;
          try {
            response = await target.client.call(target.method, req, {
              metadata,
              deadline: new Date(Date.now() + 300),
            });
          } catch (error) {
            const e = error as GrpcCallError;
            if (e.code === PERMISSION_DENIED || e.code === UNAUTHENTICATED) refused++;
            assert.deepEqual(leaked(String(e.details)), [], `refusal carries B's data: ${label}`);
            return;
          }
          succeeded++;
          assert.notEqual(req.namespace, 'ns-b', `succeeded on ns-b: ${label}`);
          assert.deepEqual(leaked(text(response)), [], `answered with B's data: ${label}`);
        },
      ),
      { numRuns: 400, seed: 13 },
    );
    assert.equal(calls, 400);
    assert.ok(refused > 100, `most fuzzed calls are refused (${refused})`);
    assert.ok(succeeded > 0, `some fuzzed calls on ns-a succeed, so the oracle is exercised (${succeeded})`);
    assert.equal(await snapshotOfB(), before, 'ns-b is unchanged');
  });
});
