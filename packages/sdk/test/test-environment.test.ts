import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDevServer } from '@odin/server';
import { TestWorkflowEnvironment } from '../src/testing/test-environment.js';
import * as basic from './workflows/basic.js';

const start = Date.UTC(2026, 0, 1);
let env: TestWorkflowEnvironment;

before(async () => {
  env = await TestWorkflowEnvironment.create({ startServer: startDevServer, startTime: start });
  await env.startWorker({
    taskQueue: 'virtual',
    workflows: basic,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
  });
});

after(async () => {
  await env.teardown();
});

describe('test environment on virtual time', () => {
  test('a workflow that sleeps for seven days completes without waiting seven days', async () => {
    const handle = await env.client.start(basic.cancellable, {
      workflowId: 'week-long',
      taskQueue: 'virtual',
    });
    assert.equal(await env.runUntil(handle.result()), 'slept');
    assert.ok(env.clock.now() >= start + 7 * 86_400_000, 'virtual time passed the timer');
    const history = await handle.fetchHistory();
    assert.ok(history.some((e) => e.timerFiredEventAttributes));
  });

  test('a condition with a one-day timeout times out on virtual time', async () => {
    const handle = await env.client.start(basic.approval, {
      workflowId: 'day-timeout',
      taskQueue: 'virtual',
    });
    assert.equal(await env.runUntil(handle.result()), 'timed out');
  });

  test('a timer followed by an activity uses workflow time from the virtual clock', async () => {
    const handle = await env.client.start(basic.clockAndRandom, {
      workflowId: 'virtual-now',
      taskQueue: 'virtual',
    });
    const before = env.clock.now();
    const value = await env.runUntil(handle.result());
    // The virtual clock runs behind the wall clock: a leak of real time would land after the virtual now.
    assert.ok(value.newDate >= before && value.newDate <= env.clock.now(), 'workflow time is virtual time');
    assert.ok(value.now - value.newDate >= 5000);
  });
});
