import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import type { OutboxTask, PersistenceStore, TimerTaskKey } from '@odin/persistence';
import { silentLogger } from '../src/context.js';
import { TimerProcessor } from '../src/queues/timer-processor.js';

/** A store whose timer outbox is empty and which records the keys it is asked to delete. */
function recordingStore(deleted: TimerTaskKey[]): PersistenceStore {
  return {
    outbox: {
      readTimerTasks: async () => [],
      deleteTimerTasks: async (_shard: number, keys: TimerTaskKey[]) => {
        deleted.push(...keys);
        return keys.length;
      },
    },
  } as unknown as PersistenceStore;
}

function timerTask(taskId: number, fireTime: number): OutboxTask {
  return {
    category: 'timer',
    taskId,
    fireTime,
    namespaceId: 'ns',
    workflowId: 'wf',
    runId: 'run',
    taskType: 'user-timer',
    data: new Uint8Array(),
  };
}

test('a task whose executor failed once is deleted by its row’s key when it succeeds later', async () => {
  const clock = new VirtualClock();
  const deleted: TimerTaskKey[] = [];
  let attempts = 0;
  const processor = new TimerProcessor(
    1,
    recordingStore(deleted),
    clock,
    async () => {
      if (++attempts === 1) throw new Error('store unavailable');
    },
    silentLogger,
    60_000,
  );
  const fireTime = clock.now() + 100;
  processor.schedule(timerTask(7, fireTime));
  await clock.advance(100);
  assert.equal(attempts, 1);
  await clock.advance(1_000);
  assert.equal(attempts, 2);
  await processor.flush();
  assert.deepEqual(deleted, [{ fireTime, taskId: 7 }]);
  processor.stop();
});

test('a stale task leaves the queue at once and is deleted by its row’s key, also after a failed attempt', async () => {
  const clock = new VirtualClock();
  const deleted: TimerTaskKey[] = [];
  const ran: number[] = [];
  const processor = new TimerProcessor(
    1,
    recordingStore(deleted),
    clock,
    async (task) => {
      ran.push(task.taskId);
      if (task.taskId === 8) throw new Error('store unavailable');
    },
    silentLogger,
    60_000,
  );
  const t8 = clock.now() + 100;
  const t9 = clock.now() + 5_000;
  processor.schedule(timerTask(8, t8));
  processor.schedule(timerTask(9, t9));
  await clock.advance(100);
  assert.deepEqual(ran, [8]);
  // Task 8 waits for its retry, task 9 for its time: both go stale now.
  processor.dropStale('run', undefined, () => false);
  assert.equal(processor.pending, 0);
  await clock.advance(10_000);
  assert.deepEqual(ran, [8], 'neither runs again');
  await processor.flush();
  assert.deepEqual(
    deleted.sort((a, b) => a.taskId - b.taskId),
    [
      { fireTime: t8, taskId: 8 },
      { fireTime: t9, taskId: 9 },
    ],
  );
  processor.stop();
});
