import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { RequestLimits } from '../../src/limits/request-limits.js';

const exhausted = (message: string) => (error: unknown) => {
  assert.ok(error instanceof ServiceError, String(error));
  assert.equal(error.code, status.RESOURCE_EXHAUSTED);
  assert.equal(error.message, message);
  return true;
};

const OFF = { namespaceRps: 0, maxLongPollsPerNamespace: 0, maxLongPolls: 0 };

describe('request limits', () => {
  test('a namespace gets its rate and burst, then RESOURCE_EXHAUSTED until tokens come back; others are apart', async () => {
    const clock = new VirtualClock(0);
    const limits = new RequestLimits(clock, { ...OFF, namespaceRps: 2, namespaceBurst: 3 });
    for (let i = 0; i < 3; i++) limits.admit('DescribeNamespace', { namespace: 'a' }).release();
    assert.throws(
      () => limits.admit('DescribeNamespace', { namespace: 'a' }),
      exhausted('namespace rate limit exceeded'),
    );
    limits.admit('DescribeNamespace', { namespace: 'b' }).release();
    await clock.advance(500);
    limits.admit('DescribeNamespace', { namespace: 'a' }).release();
    assert.throws(
      () => limits.admit('DescribeNamespace', { namespace: 'a' }),
      exhausted('namespace rate limit exceeded'),
    );
  });

  test('task-queue polls are capped per namespace, every long poll in total, and freed when they end', () => {
    const limits = new RequestLimits(new VirtualClock(0), {
      ...OFF,
      maxLongPollsPerNamespace: 2,
      maxLongPolls: 4,
    });
    const a1 = limits.admit('PollWorkflowTaskQueue', { namespace: 'a' });
    limits.admit('PollActivityTaskQueue', { namespace: 'a' });
    assert.throws(
      () => limits.admit('PollWorkflowTaskQueue', { namespace: 'a' }),
      exhausted('namespace concurrent poller limit exceeded'),
    );
    // A client waiting for a result is a long poll, but not one of the namespace's pollers.
    limits.admit('GetWorkflowExecutionHistory', { namespace: 'a', waitNewEvent: true });
    // Not a long poll: never counted.
    limits.admit('GetWorkflowExecutionHistory', { namespace: 'a' }).release();
    limits.admit('PollWorkflowTaskQueue', { namespace: 'b' });
    assert.throws(
      () => limits.admit('PollWorkflowTaskQueue', { namespace: 'c' }),
      exhausted('frontend concurrent poller limit exceeded'),
    );
    a1.release();
    a1.release();
    assert.equal(limits.longPolls, 3);
    limits.admit('PollWorkflowTaskQueue', { namespace: 'a' });
  });

  test('a task queue dispatches at most the maxTasksPerSecond its workers poll with', async () => {
    const clock = new VirtualClock(0);
    const limits = new RequestLimits(clock, OFF);
    const poll = {
      namespace: 'a',
      taskQueue: { name: 'q' },
      taskQueueMetadata: { maxTasksPerSecond: { value: 1 } },
    };
    const task = { taskToken: new Uint8Array([1]) };
    const first = limits.admit('PollActivityTaskQueue', poll);
    first.respond(task);
    first.release();
    assert.throws(
      () => limits.admit('PollActivityTaskQueue', { namespace: 'a', taskQueue: { name: 'q' } }),
      exhausted('task queue dispatch rate limit exceeded'),
    );
    // Another queue, and the same queue's workflow tasks, are not limited.
    limits.admit('PollActivityTaskQueue', { ...poll, taskQueue: { name: 'other' } }).release();
    limits.admit('PollWorkflowTaskQueue', { namespace: 'a', taskQueue: { name: 'q' } }).release();
    await clock.advance(1_000);
    const empty = limits.admit('PollActivityTaskQueue', poll);
    empty.respond({});
    empty.release();
    // An empty answer took no token.
    limits.admit('PollActivityTaskQueue', poll).release();
  });
});
