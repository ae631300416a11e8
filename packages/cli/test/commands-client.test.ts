// Every client verb, run in this process through runCommand (same parser and actions as the binary),
// against a dev server with our SDK's worker.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertDeterministicReplay, historyFromJson } from '@odin/sdk';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';
import { type Harness, startHarness } from './fixtures/cli-harness.js';
import * as orderWorkflows from './fixtures/order-workflows.js';

let harness: Harness;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness.stop();
});

function cli(args: string[], env: Record<string, string> = {}) {
  return runCommand(args, { HUGO_ORCHESTRATOR_ADDRESS: harness.address, ...env });
}

async function json<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const run = await cli([...args, '--output', 'json'], env);
  assert.equal(run.code, ExitCode.ok, run.stderr);
  return JSON.parse(run.stdout) as T;
}

async function startOrder(workflowId: string): Promise<string> {
  const started = await json<{ runId: string }>([
    'workflow',
    'start',
    '--type',
    'OrderProcessing',
    '--id',
    workflowId,
    '--input',
    '{"orderId":"o-9"}',
  ]);
  return started.runId;
}

describe('namespace commands', () => {
  test('create, describe, list and update round-trip the namespace settings', async () => {
    const created = await cli([
      'namespace',
      'create',
      '--name',
      'billing',
      '--description',
      'money',
      '--retention',
      '3d',
      '--data',
      'team=payments',
    ]);
    assert.equal(created.code, ExitCode.ok, created.stderr);
    const described = await cli(['namespace', 'describe', '--name', 'billing']);
    assert.match(described.stdout, /Description:\s+money/);
    assert.match(described.stdout, /Retention:\s+3d/);

    const listed = await json<{ name: string }[]>(['namespace', 'list']);
    assert.ok(listed.some((ns) => ns.name === 'billing'));
    assert.ok(listed.some((ns) => ns.name === 'default'));

    const updated = await json<{ description: string; retentionMs: number }>([
      'namespace',
      'update',
      '--name',
      'billing',
      '--description',
      'invoices',
      '--retention',
      '72h',
    ]);
    assert.equal(updated.description, 'invoices');
    assert.equal(updated.retentionMs, 72 * 3_600_000);
  });

  test('describe without --name uses --namespace, then HUGO_ORCHESTRATOR_NAMESPACE', async () => {
    await cli(['namespace', 'create', '--name', 'from-env']);
    const flag = await json<{ name: string }>(['namespace', 'describe', '--namespace', 'from-env']);
    assert.equal(flag.name, 'from-env');
    const fromEnv = await json<{ name: string }>(['namespace', 'describe'], {
      HUGO_ORCHESTRATOR_NAMESPACE: 'from-env',
    });
    assert.equal(fromEnv.name, 'from-env');
  });

  test('creating an existing namespace fails with exit 1; a missing one tells how to create it', async () => {
    const again = await cli(['namespace', 'create', '--name', 'default']);
    assert.equal(again.code, ExitCode.failed);
    assert.match(again.stderr, /already exists/);
    const missing = await cli(['namespace', 'describe', '--name', 'nowhere']);
    assert.equal(missing.code, ExitCode.failed);
    assert.match(missing.stderr, /namespace create --name "nowhere"/);
  });

  test('an invalid retention is a usage error (exit 2) that shows valid forms', async () => {
    const run = await cli(['namespace', 'create', '--name', 'x', '--retention', 'forever']);
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /--retention: "forever" is not a duration/);
  });
});

describe('workflow commands', () => {
  test('describe, list and show report a running workflow', async () => {
    const workflowId = id('described');
    const runId = await startOrder(workflowId);
    const description = await json<{ runId: string; status: string; type: string; taskQueue: string }>([
      'workflow',
      'describe',
      '--id',
      workflowId,
    ]);
    assert.deepEqual(
      [description.runId, description.status, description.type, description.taskQueue],
      [runId, 'RUNNING', 'OrderProcessing', 'default'],
    );
    const table = await cli(['workflow', 'describe', '--id', workflowId]);
    assert.match(table.stdout, /Status:\s+RUNNING/);

    const listed = await cli(['workflow', 'list', '--query', `WorkflowId = '${workflowId}'`]);
    assert.equal(listed.code, ExitCode.ok, listed.stderr);
    assert.match(listed.stdout, /^WORKFLOW ID\s+RUN ID\s+TYPE\s+STATUS/);
    assert.match(listed.stdout, new RegExp(`${workflowId}\\s+${runId}\\s+OrderProcessing\\s+RUNNING`));

    const shown = await cli(['workflow', 'show', '--id', workflowId]);
    assert.match(shown.stdout, /1\s+\S+\s+WorkflowExecutionStarted/);
    const events = await json<{ events: { eventType: string }[] }>(['workflow', 'show', '--id', workflowId]);
    assert.equal(events.events[0]?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    await cli(['workflow', 'terminate', '--id', workflowId]);
  });

  test('list --limit caps the rows', async () => {
    for (let i = 0; i < 3; i++) await startOrder(id('limited'));
    const rows = await json<unknown[]>(['workflow', 'list', '--limit', '2']);
    assert.equal(rows.length, 2);
  });

  test('signal with --input delivers the argument the workflow uses in its result', async () => {
    const workflowId = id('signalled');
    await startOrder(workflowId);
    const signalled = await cli([
      'workflow',
      'signal',
      '--id',
      workflowId,
      '--signal',
      'UpdateOrder',
      '--input',
      '{"amount":7}',
    ]);
    assert.equal(signalled.code, ExitCode.ok, signalled.stderr);
    const result = await json<{ amount: number; status: string }>(['workflow', 'result', '--id', workflowId]);
    assert.deepEqual([result.amount, result.status], [7, 'completed']);
    const status = await cli(['workflow', 'query', '--id', workflowId, '--query', 'GetStatus']);
    assert.equal(status.stdout, 'completed\n');
  });

  test('show --output json is a history the SDK reads back and replays deterministically', async () => {
    const workflowId = id('replayed');
    await startOrder(workflowId);
    await cli(['workflow', 'signal', '--id', workflowId, '--signal', 'UpdateOrder']);
    assert.equal((await cli(['workflow', 'result', '--id', workflowId])).code, ExitCode.ok);
    const shown = await cli(['workflow', 'show', '--id', workflowId, '--output', 'json']);
    const history = historyFromJson(JSON.parse(shown.stdout));
    assert.ok(history.length >= 10);
    const replay = await assertDeterministicReplay(history, orderWorkflows);
    assert.ok(replay.replayedTasks >= 2);
  });

  test('terminate makes result exit 1 and say the workflow was terminated', async () => {
    const workflowId = id('terminated');
    await startOrder(workflowId);
    const terminated = await cli(['workflow', 'terminate', '--id', workflowId, '--reason', 'test']);
    assert.equal(terminated.code, ExitCode.ok, terminated.stderr);
    const result = await cli(['workflow', 'result', '--id', workflowId]);
    assert.equal(result.code, ExitCode.failed);
    assert.match(result.stderr, /terminated/i);
    const described = await json<{ status: string }>(['workflow', 'describe', '--id', workflowId]);
    assert.equal(described.status, 'TERMINATED');
  });

  test('cancel is recorded as a cancel request in the history', async () => {
    const workflowId = id('cancelled');
    await startOrder(workflowId);
    const cancelled = await cli(['workflow', 'cancel', '--id', workflowId]);
    assert.equal(cancelled.code, ExitCode.ok, cancelled.stderr);
    const shown = await cli(['workflow', 'show', '--id', workflowId]);
    assert.match(shown.stdout, /WorkflowExecutionCancelRequested/);
    await cli(['workflow', 'terminate', '--id', workflowId]);
  });

  test('a failed workflow makes result exit 1 with the failure type and message', async () => {
    const workflowId = id('failing');
    const started = await cli([
      'workflow',
      'start',
      '--type',
      'AlwaysFails',
      '--id',
      workflowId,
      '--input',
      '"out of stock"',
    ]);
    assert.equal(started.code, ExitCode.ok, started.stderr);
    const result = await cli(['workflow', 'result', '--id', workflowId]);
    assert.equal(result.code, ExitCode.failed);
    assert.match(result.stderr, /ApplicationFailure \[OrderRejected\]: out of stock/);
  });

  test('starting a running workflow id again fails with exit 1 and names the conflict policies', async () => {
    const workflowId = id('twice');
    await startOrder(workflowId);
    const again = await cli(['workflow', 'start', '--type', 'OrderProcessing', '--id', workflowId]);
    assert.equal(again.code, ExitCode.failed);
    assert.match(again.stderr, /already running.*--id-conflict-policy/);
    const attached = await cli([
      'workflow',
      'start',
      '--type',
      'OrderProcessing',
      '--id',
      workflowId,
      '--id-conflict-policy',
      'USE_EXISTING',
    ]);
    assert.equal(attached.code, ExitCode.ok, attached.stderr);
    await cli(['workflow', 'terminate', '--id', workflowId]);
  });

  test('an unknown query name fails with exit 1', async () => {
    const workflowId = id('query');
    await startOrder(workflowId);
    const run = await cli(['workflow', 'query', '--id', workflowId, '--query', 'NoSuchQuery']);
    assert.equal(run.code, ExitCode.failed);
    assert.match(run.stderr, /query failed/);
    await cli(['workflow', 'terminate', '--id', workflowId]);
  });

  test('HUGO_ORCHESTRATOR_TASK_QUEUE and --task-queue choose the task queue', async () => {
    const fromEnv = await json<{ taskQueue: string; workflowId: string }>(
      ['workflow', 'start', '--type', 'Elsewhere'],
      { HUGO_ORCHESTRATOR_TASK_QUEUE: 'env-queue' },
    );
    assert.equal(fromEnv.taskQueue, 'env-queue');
    const fromFlag = await json<{ taskQueue: string; workflowId: string }>(
      ['workflow', 'start', '--type', 'Elsewhere', '--task-queue', 'flag-queue'],
      { HUGO_ORCHESTRATOR_TASK_QUEUE: 'env-queue' },
    );
    assert.equal(fromFlag.taskQueue, 'flag-queue');
    for (const w of [fromEnv, fromFlag]) await cli(['workflow', 'terminate', '--id', w.workflowId]);
  });
});

describe('options and exit codes', () => {
  test('--help exits 0 and lists the verbs; a bare group or unknown option exits 2', async () => {
    const help = await cli(['workflow', '--help']);
    assert.equal(help.code, ExitCode.ok);
    assert.match(help.stdout, /start \[options\][\s\S]*terminate/);
    assert.equal((await cli(['workflow'])).code, ExitCode.usage);
    const unknown = await cli(['workflow', 'list', '--frobnicate']);
    assert.equal(unknown.code, ExitCode.usage);
    assert.match(unknown.stderr, /unknown option '--frobnicate'/);
  });

  test('TLS flags: a client certificate without its key, or an unreadable CA file, is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-cli-tls-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), 'not really a certificate');
      const noKey = await cli(['workflow', 'list', '--tls-cert', join(dir, 'cert.pem')]);
      assert.equal(noKey.code, ExitCode.usage);
      assert.match(noKey.stderr, /needs both --tls-cert and --tls-key/);
      const noCa = await cli(['namespace', 'list'], { HUGO_ORCHESTRATOR_TLS_CA: join(dir, 'missing.pem') });
      assert.equal(noCa.code, ExitCode.usage);
      assert.match(noCa.stderr, /--tls-ca: cannot read .*missing\.pem \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('TLS towards a plaintext server fails as unreachable (exit 3), not as a crash', async () => {
    const run = await cli(['namespace', 'list', '--tls', '--timeout', '3s']);
    assert.equal(run.code, ExitCode.unreachable, run.stderr);
  });

  test('a malformed --address or --output is a usage error', async () => {
    const address = await cli(['workflow', 'list', '--address', 'localhost']);
    assert.equal(address.code, ExitCode.usage);
    assert.match(address.stderr, /not host:port/);
    const output = await cli(['workflow', 'list'], { HUGO_ORCHESTRATOR_OUTPUT: 'yaml' });
    assert.equal(output.code, ExitCode.usage);
  });
});
