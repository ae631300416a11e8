// `workflow show -o json` writes Temporal's JSON history: the official SDK reads it back (historyFromJSON) and
// replays it against the workflow code that made it (Worker.runReplayHistory) without a determinism error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type DevServer, startDevServer } from '@odin/server';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';
import { greetOdin } from './fixtures/official/greeting.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/official/workflows.ts', import.meta.url));
const TASK_QUEUE = 'official-sdk';

let server: DevServer;
let connection: NativeConnection;
let bundle: { code: string };

before(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  server = await startDevServer({ port: 0 });
  connection = await NativeConnection.connect({ address: server.address });
  bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
});

after(async () => {
  await connection?.close();
  await server?.stop();
});

function cli(args: string[]) {
  return runCommand(args, { HUGO_ORCHESTRATOR_ADDRESS: server.address });
}

describe('workflow show -o json with the official SDK', () => {
  test('the exported history of a completed workflow replays on the official worker', async () => {
    const worker = await Worker.create({
      connection,
      taskQueue: TASK_QUEUE,
      workflowBundle: bundle,
      activities: { greet: async (name: string) => `Hello, ${name}` },
    });
    const workflowId = `greeting-${process.pid}`;
    const exported = await worker.runUntil(async () => {
      await greetOdin(server.address, TASK_QUEUE, workflowId);
      const shown = await cli(['workflow', 'show', '--workflow-id', workflowId, '-o', 'json']);
      assert.equal(shown.code, ExitCode.ok, shown.stderr);
      return shown.stdout;
    });

    const json = JSON.parse(exported) as { events: { eventTime: unknown; eventType: unknown }[] };
    // Temporal's format: RFC 3339 times and enum names, not protobufjs objects and numbers.
    assert.match(String(json.events[0]?.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(json.events[0]?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    assert.equal(json.events.at(-1)?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');

    const history = historyFromJSON(json);
    assert.equal(history.events?.length, json.events.length);
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
  });
});
