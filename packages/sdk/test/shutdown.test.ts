import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDevServer } from '@odin/server';
import { Connection, WorkflowClient } from '../src/client/index.js';
import { ServiceCallError } from '../src/client/errors.js';
import { Worker } from '../src/worker/index.js';
import * as e2e from './workflows/e2e.js';

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection });
});

after(async () => {
  connection.close();
  await server.stop();
});

test('shutdown hands an activity that ignores its signal back to the server, and another worker finishes it', async () => {
  let started!: () => void;
  const activityStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const first = await Worker.create({
    connection,
    taskQueue: 'handoff',
    workflows: e2e,
    activities: {
      stubborn: () => {
        started();
        return new Promise<string>(() => undefined);
      },
    },
    shutdownGraceMs: 200,
  });
  const firstRun = first.run();
  const handle = await client.start(e2e.handedBack, {
    workflowId: `handoff-${process.pid}`,
    taskQueue: 'handoff',
  });
  await activityStarted;
  first.shutdown();
  await firstRun;
  assert.equal(first.state, 'stopped');

  const second = await Worker.create({
    connection,
    taskQueue: 'handoff',
    workflows: e2e,
    activities: { stubborn: async () => 'finished by the second worker' },
  });
  const secondRun = second.run();
  try {
    assert.equal(await handle.result(), 'finished by the second worker');
  } finally {
    second.shutdown();
    await secondRun;
  }
});

test('a call to an unreachable server fails with UNAVAILABLE after its retries', async () => {
  const unreachable = Connection.connect({ address: '127.0.0.1:1', maxAttempts: 2, callTimeoutMs: 5000 });
  try {
    await assert.rejects(
      new WorkflowClient({ connection: unreachable }).describe('x'),
      (error: unknown) => error instanceof ServiceCallError && error.codeName === 'UNAVAILABLE',
    );
  } finally {
    unreachable.close();
  }
});
