// The command-line conventions the CLI shares with Temporal's `temporal` CLI: flag aliases, --input-file,
// TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, -o jsonl, exit code 2 for every usage error, errors as JSON under
// -o json; and the project's one duration grammar for every duration flag.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';
import { type Harness, startHarness } from './fixtures/cli-harness.js';

let harness: Harness;
let dir: string;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  harness = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'odin-cli-conventions-'));
});

after(async () => {
  await harness.stop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}) {
  return runCommand(args, { HUGO_ORCHESTRATOR_ADDRESS: harness.address, ...env });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function terminate(workflowId: string): Promise<void> {
  await cli(['workflow', 'terminate', '--id', workflowId]);
}

describe('exit code 2 for every usage error', () => {
  const commandLines: string[][] = [
    [],
    ['frobnicate'],
    ['server'],
    ['db'],
    ['namespace'],
    ['workflow'],
    ['server', 'start-dev', '--port', 'seventy'],
    ['server', 'start-dev', '--log-level', 'loud', '--port', '0'],
    ['server', 'start', '--service', 'bogus'],
    ['server', 'start', '--service', 'history', '--ui'],
    ['server', 'start', '--service', 'matching,worker', '--http-port', '0'],
    ['server', 'start'],
    ['db', 'migrate', '--db', 'oracle://nowhere'],
    ['workflow', 'list', '--frobnicate'],
    ['workflow', 'list', '--output', 'yaml'],
    ['workflow', 'list', '--limit', '0'],
    ['workflow', 'list', '--address', 'localhost'],
    ['workflow', 'signal', '--id', 'wf'],
    ['workflow', 'query', '--name', 'GetStatus'],
    ['workflow', 'start', '--input', '{}'],
    ['workflow', 'start', '--type', 'T', '--input', '{...}'],
    ['workflow', 'start', '--type', 'T', '--timeout', 'soon'],
    ['workflow', 'start', '--type', 'T', '--execution-timeout', '1x'],
    ['workflow', 'start', '--type', 'T', '--input', '1', '--input-file', 'whatever.json'],
    ['workflow', 'start', '--type', 'T', '--input-file', '/nonexistent/input.json'],
    ['namespace', 'create', '--name', 'x', '--retention', 'forever'],
    ['namespace', 'create'],
  ];
  for (const args of commandLines) {
    test(`hugo-orchestrator ${args.join(' ') || '(no arguments)'}`, async () => {
      const run = await runCommand(args, {});
      assert.equal(run.code, ExitCode.usage, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
      assert.notEqual(run.stderr, '', 'says what is wrong');
    });
  }

  test('help and version exit 0', async () => {
    for (const args of [['--help'], ['--version'], ['workflow', 'start', '--help'], ['help', 'server']]) {
      assert.equal((await runCommand(args, {})).code, ExitCode.ok, args.join(' '));
    }
  });
});

describe('errors as JSON under -o json and -o jsonl', () => {
  function jsonError(stderr: string): { message: string; kind: string; exitCode: number } {
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line of JSON: ${stderr}`);
    return (JSON.parse(lines[0] ?? '') as { error: { message: string; kind: string; exitCode: number } })
      .error;
  }

  test('a command line commander refuses', async () => {
    const run = await cli(['workflow', 'list', '--frobnicate', '-o', 'json']);
    assert.equal(run.code, ExitCode.usage);
    assert.deepEqual(jsonError(run.stderr), {
      message: "unknown option '--frobnicate'",
      kind: 'usage',
      exitCode: 2,
    });
    const missing = await cli(['workflow', 'signal', '--output=jsonl', '--id', 'x']);
    assert.match(jsonError(missing.stderr).message, /required option '--signal <name>'/);
  });

  test('a value the command refuses, an answer of the server, and no server at all', async () => {
    const input = await cli(['workflow', 'start', '--type', 'T', '--input', '{...}', '-o', 'json']);
    assert.equal(jsonError(input.stderr).kind, 'usage');
    const missing = await cli(['workflow', 'describe', '--id', 'no-such-workflow', '-o', 'json']);
    assert.equal(missing.code, ExitCode.failed);
    const failed = jsonError(missing.stderr);
    assert.equal(failed.kind, 'failed');
    assert.match(failed.message, /workflow "no-such-workflow" not found/);
    const down = await runCommand(['namespace', 'list', '-ojson'], {
      HUGO_ORCHESTRATOR_ADDRESS: '127.0.0.1:1',
    });
    assert.equal(down.code, ExitCode.unreachable);
    assert.deepEqual(
      { kind: jsonError(down.stderr).kind, exitCode: jsonError(down.stderr).exitCode },
      { kind: 'unreachable', exitCode: 3 },
    );
  });

  test('HUGO_ORCHESTRATOR_OUTPUT=json asks for JSON errors too; table output keeps "Error:" lines', async () => {
    const fromEnv = await cli(['workflow', 'describe', '--id', 'nothing-here'], {
      HUGO_ORCHESTRATOR_OUTPUT: 'json',
    });
    assert.equal(jsonError(fromEnv.stderr).exitCode, 1);
    const text = await cli(['workflow', 'describe', '--id', 'nothing-here']);
    assert.match(text.stderr, /^Error: workflow "nothing-here" not found/);
  });
});

describe('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE after the HUGO_ORCHESTRATOR_* variables', () => {
  test('TEMPORAL_ADDRESS is used when HUGO_ORCHESTRATOR_ADDRESS is not set, and loses to it', async () => {
    const temporalOnly = await runCommand(['namespace', 'list', '-o', 'json'], {
      TEMPORAL_ADDRESS: harness.address,
    });
    assert.equal(temporalOnly.code, ExitCode.ok, temporalOnly.stderr);
    const both = await runCommand(['namespace', 'list', '--timeout', '2s'], {
      HUGO_ORCHESTRATOR_ADDRESS: '127.0.0.1:1',
      TEMPORAL_ADDRESS: harness.address,
    });
    assert.equal(both.code, ExitCode.unreachable);
    assert.match(both.stderr, /127\.0\.0\.1:1/);
  });

  test('TEMPORAL_NAMESPACE is used when HUGO_ORCHESTRATOR_NAMESPACE is not set, and loses to it', async () => {
    for (const name of ['temporal-ns', 'hugo-ns']) await cli(['namespace', 'create', '--name', name]);
    const temporal = await cli(['namespace', 'describe', '-o', 'json'], {
      TEMPORAL_NAMESPACE: 'temporal-ns',
    });
    assert.equal(JSON.parse(temporal.stdout).name, 'temporal-ns');
    const both = await cli(['namespace', 'describe', '-o', 'json'], {
      TEMPORAL_NAMESPACE: 'temporal-ns',
      HUGO_ORCHESTRATOR_NAMESPACE: 'hugo-ns',
    });
    assert.equal(JSON.parse(both.stdout).name, 'hugo-ns');
  });
});

describe('aliases: --workflow-id for --id, --name for --signal and --query', () => {
  test('a workflow started, queried, signalled and awaited with the aliases', async () => {
    const workflowId = id('aliased');
    const started = await cli([
      'workflow',
      'start',
      '--type',
      'OrderProcessing',
      '--workflow-id',
      workflowId,
      '--input',
      '{"orderId":"o-7"}',
      '-o',
      'json',
    ]);
    assert.equal(started.code, ExitCode.ok, started.stderr);
    assert.equal(JSON.parse(started.stdout).workflowId, workflowId);
    const queried = await cli(['workflow', 'query', '--workflow-id', workflowId, '--name', 'GetStatus']);
    assert.equal(queried.stdout, 'awaiting update\n', queried.stderr);
    const signalled = await cli(['workflow', 'signal', '--workflow-id', workflowId, '--name', 'UpdateOrder']);
    assert.equal(signalled.code, ExitCode.ok, signalled.stderr);
    assert.match(signalled.stdout, new RegExp(`Signal UpdateOrder sent to workflow ${workflowId}`));
    const result = await cli(['workflow', 'result', '--workflow-id', workflowId, '-o', 'json']);
    assert.equal(JSON.parse(result.stdout).status, 'completed');
    const described = await cli(['workflow', 'describe', '-w', workflowId, '-o', 'json']);
    assert.equal(JSON.parse(described.stdout).status, 'COMPLETED');
  });

  test('the help names the aliases', async () => {
    const help = await runCommand(['workflow', 'signal', '--help'], {});
    assert.match(help.stdout, /--id <workflowId>\s+workflow id \(alias --workflow-id\)/);
    assert.match(help.stdout, /--signal <name>\s+signal name \(alias --name\)/);
  });
});

describe('--input-file', () => {
  test('each file is one JSON argument, for start and signal', async () => {
    const workflowId = id('from-file');
    const order = file('order.json', '{\n  "orderId": "o-file",\n  "amount": 3\n}\n');
    const update = file('update.json', '{"amount": 11}');
    const started = await cli([
      'workflow',
      'start',
      '--type',
      'OrderProcessing',
      '--id',
      workflowId,
      '--input-file',
      order,
    ]);
    assert.equal(started.code, ExitCode.ok, started.stderr);
    const signalled = await cli([
      'workflow',
      'signal',
      '--id',
      workflowId,
      '--signal',
      'UpdateOrder',
      '--input-file',
      update,
    ]);
    assert.equal(signalled.code, ExitCode.ok, signalled.stderr);
    const result = await cli(['workflow', 'result', '--id', workflowId, '-o', 'json']);
    assert.deepEqual(JSON.parse(result.stdout), {
      orderId: 'o-file',
      amount: 11,
      chargeId: 'ch-o-file',
      status: 'completed',
    });
  });

  test('a file that is not JSON, or one that is missing, is a usage error naming the file', async () => {
    const broken = file('broken.json', '{orderId: o-1}');
    const run = await cli(['workflow', 'start', '--type', 'OrderProcessing', '--input-file', broken]);
    assert.equal(run.code, ExitCode.usage);
    assert.match(run.stderr, /--input-file .*broken\.json must be JSON/);
    const missing = await cli([
      'workflow',
      'start',
      '--type',
      'OrderProcessing',
      '--input-file',
      join(dir, 'none.json'),
    ]);
    assert.match(missing.stderr, /--input-file: cannot read .*none\.json \(ENOENT\)/);
  });
});

describe('-o jsonl', () => {
  test('lists print one JSON value per line; single values print on one line', async () => {
    // A workflow type of their own, on a queue no worker polls: the list below finds exactly these two.
    const type = `JsonlListed${process.pid}`;
    const ids = [id('jsonl'), id('jsonl')];
    for (const workflowId of ids) {
      await cli(['workflow', 'start', '--type', type, '--task-queue', 'unpolled', '--id', workflowId]);
    }
    const listed = await cli(['workflow', 'list', '-o', 'jsonl', '--query', `WorkflowType = '${type}'`]);
    assert.equal(listed.code, ExitCode.ok, listed.stderr);
    const rows = listed.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { workflowId: string });
    assert.deepEqual(rows.map((r) => r.workflowId).sort(), [...ids].sort());

    const namespaces = await cli(['namespace', 'list', '-o', 'jsonl']);
    for (const line of namespaces.stdout.trimEnd().split('\n')) assert.ok(JSON.parse(line).name);

    const shown = await cli(['workflow', 'show', '--id', ids[0] ?? '', '-o', 'jsonl']);
    const events = shown.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { eventId: string; eventType: string });
    assert.equal(events[0]?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    assert.equal(events[0]?.eventId, '1');

    const described = await cli(['workflow', 'describe', '--id', ids[0] ?? '', '-o', 'jsonl']);
    assert.equal(described.stdout.trimEnd().split('\n').length, 1);
    assert.equal(JSON.parse(described.stdout).workflowId, ids[0]);
    for (const workflowId of ids) await terminate(workflowId);
  });
});

describe('durations: one grammar for every duration flag', () => {
  test('--timeout 1d and compound durations are accepted', async () => {
    const listed = await cli(['namespace', 'list', '--timeout', '1d']);
    assert.equal(listed.code, ExitCode.ok, listed.stderr);
    const workflowId = id('durations');
    const started = await cli([
      'workflow',
      'start',
      '--type',
      'OrderProcessing',
      '--id',
      workflowId,
      '--input',
      '{"orderId":"d"}',
      '--execution-timeout',
      '1h30m',
      '--task-timeout',
      '15s',
      '--timeout',
      '1m30s',
    ]);
    assert.equal(started.code, ExitCode.ok, started.stderr);
    await terminate(workflowId);
  });
});
