// The commands docs/cli.md opens with, as written there, run as real `hugo-orchestrator` processes against an
// in-process dev server with our SDK's worker serving OrderProcessing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection, WorkflowClient } from '@odin/sdk';
import { type Harness, runCli, startHarness } from './fixtures/cli-harness.js';

let harness: Harness;
let env: Record<string, string>;

before(async () => {
  harness = await startHarness();
  env = { HUGO_ORCHESTRATOR_ADDRESS: harness.address };
});

after(async () => {
  await harness.stop();
});

describe('the documented commands as child processes', () => {
  test('namespace create --name "production" registers the namespace and exits 0', async () => {
    const run = await runCli(['namespace', 'create', '--name', 'production'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Namespace production created/);
    const described = await runCli(
      ['namespace', 'describe', '--name', 'production', '--output', 'json'],
      env,
    );
    assert.equal(described.code, 0, described.stderr);
    assert.equal(JSON.parse(described.stdout).state, 'REGISTERED');
  });

  test('workflow start, query, signal and result drive OrderProcessing to completion', async () => {
    const started = await runCli(
      [
        'workflow',
        'start',
        '--type',
        'OrderProcessing',
        '--input',
        '{"orderId":"o-1","amount":42}',
        '--id',
        'wf-123',
      ],
      env,
    );
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /Workflow ID:\s+wf-123/);
    const runId = /Run ID:\s+([0-9a-f-]{36})/.exec(started.stdout)?.[1];
    assert.ok(runId, started.stdout);

    const queried = await runCli(['workflow', 'query', '--id', 'wf-123', '--query', 'GetStatus'], env);
    assert.equal(queried.code, 0, queried.stderr);
    assert.equal(queried.stdout, 'awaiting update\n');

    const signalled = await runCli(['workflow', 'signal', '--id', 'wf-123', '--signal', 'UpdateOrder'], env);
    assert.equal(signalled.code, 0, signalled.stderr);
    assert.match(signalled.stdout, /Signal UpdateOrder sent to workflow wf-123/);

    const result = await runCli(['workflow', 'result', '--id', 'wf-123', '--output', 'json'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      orderId: 'o-1',
      amount: 42,
      chargeId: 'ch-o-1',
      status: 'completed',
    });

    // The run the CLI printed is the one that completed.
    const connection = Connection.connect({ address: harness.address });
    try {
      const description = await new WorkflowClient({ connection }).describe('wf-123');
      assert.equal(description.runId, runId);
      assert.equal(description.status, 'COMPLETED');
    } finally {
      connection.close();
    }
  });

  test('workflow start without --id generates one and --output json prints it with the run id', async () => {
    const run = await runCli(
      ['workflow', 'start', '--type', 'OrderProcessing', '--input', '{"orderId":"o-2"}', '--output', 'json'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    const started = JSON.parse(run.stdout) as { workflowId: string; runId: string; taskQueue: string };
    assert.match(started.workflowId, /^[0-9a-f-]{36}$/);
    assert.match(started.runId, /^[0-9a-f-]{36}$/);
    assert.equal(started.taskQueue, 'default');
    const terminated = await runCli(['workflow', 'terminate', '--id', started.workflowId], env);
    assert.equal(terminated.code, 0, terminated.stderr);
  });

  test('exit code 3 and an actionable message when no server listens at the address', async () => {
    const run = await runCli(['workflow', 'list'], { HUGO_ORCHESTRATOR_ADDRESS: '127.0.0.1:1' });
    assert.equal(run.code, 3);
    assert.match(run.stderr, /cannot reach the server at 127\.0\.0\.1:1.*server start-dev/);
  });

  test('exit code 2 for a usage error: invalid JSON input or a missing required option', async () => {
    const badJson = await runCli(['workflow', 'start', '--type', 'OrderProcessing', '--input', '{...}'], env);
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /--input must be JSON/);
    const missing = await runCli(['workflow', 'signal', '--id', 'wf-123'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '--signal <name>'/);
  });

  test('exit code 1 when the operation fails: a workflow that does not exist', async () => {
    const run = await runCli(['workflow', 'query', '--id', 'no-such-workflow', '--query', 'GetStatus'], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /workflow "no-such-workflow" not found in namespace "default"/);
  });
});
