// The worker's activity side against a scripted connection (no server): heartbeat throttling and cancellation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { heartbeat } from '../src/activity/index.js';
import type { Connection } from '../src/client/connection.js';
import { defaultPayloadConverter, firstValue } from '../src/common/payload.js';
import { Worker } from '../src/worker/index.js';

interface Call {
  method: string;
  request: Record<string, unknown>;
}

/** Hands out one activity task, then parks polls until aborted; records every other call. */
function scriptedConnection(options: { heartbeatTimeoutSeconds: number; cancelOnHeartbeat?: number }) {
  const calls: Call[] = [];
  let handedOut = false;
  let heartbeats = 0;
  const connection = {
    async call(method: string, request: Record<string, unknown>, callOptions: { signal?: AbortSignal } = {}) {
      if (method === 'pollActivityTaskQueue') {
        if (!handedOut) {
          handedOut = true;
          return {
            taskToken: new Uint8Array([1]),
            activityType: { name: 'work' },
            activityId: '1',
            attempt: 1,
            heartbeatTimeout: { seconds: options.heartbeatTimeoutSeconds },
            input: { payloads: [defaultPayloadConverter.toPayload(5)] },
          };
        }
        return new Promise((_, reject) => {
          callOptions.signal?.addEventListener('abort', () => reject(callOptions.signal?.reason), {
            once: true,
          });
        });
      }
      calls.push({ method, request });
      if (method === 'recordActivityTaskHeartbeat') {
        heartbeats++;
        return { cancelRequested: heartbeats === options.cancelOnHeartbeat };
      }
      return {};
    },
  };
  return { connection: connection as unknown as Connection, calls };
}

const silent = { warn: () => undefined, error: () => undefined };

test('heartbeats are throttled: the first goes out at once, then the latest details once per interval', async () => {
  const clock = new VirtualClock();
  const { connection, calls } = scriptedConnection({ heartbeatTimeoutSeconds: 10 });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const worker = await Worker.create({
    connection,
    taskQueue: 'q',
    clock,
    logger: silent,
    activities: {
      work: async (n: number) => {
        for (let i = 1; i <= n; i++) heartbeat(i);
        await released;
        return n * 2;
      },
    },
  });
  const running = worker.run();
  await clock.advance(0);
  assert.deepEqual(
    calls
      .filter((c) => c.method === 'recordActivityTaskHeartbeat')
      .map((c) => firstValue(defaultPayloadConverter, c.request['details'] as never)),
    [1],
  );
  await clock.advance(8000);
  assert.deepEqual(
    calls
      .filter((c) => c.method === 'recordActivityTaskHeartbeat')
      .map((c) => firstValue(defaultPayloadConverter, c.request['details'] as never)),
    [1, 5],
  );
  release();
  await clock.advance(0);
  const completed = calls.find((c) => c.method === 'respondActivityTaskCompleted');
  assert.equal(firstValue(defaultPayloadConverter, completed?.request['result'] as never), 10);
  worker.shutdown();
  await running;
});

test('a heartbeat reply asking for cancellation aborts the activity and reports it cancelled', async () => {
  const clock = new VirtualClock();
  const { connection, calls } = scriptedConnection({ heartbeatTimeoutSeconds: 10, cancelOnHeartbeat: 1 });
  let sawAbort = false;
  const worker = await Worker.create({
    connection,
    taskQueue: 'q',
    clock,
    logger: silent,
    activities: {
      work: async () => {
        const { cancellationSignal } = await import('../src/activity/index.js');
        const signal = cancellationSignal();
        heartbeat('started');
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        sawAbort = true;
        throw signal.reason;
      },
    },
  });
  const running = worker.run();
  await clock.advance(0);
  worker.shutdown();
  await running;
  assert.equal(sawAbort, true);
  assert.ok(calls.some((c) => c.method === 'respondActivityTaskCanceled'));
  assert.ok(!calls.some((c) => c.method === 'respondActivityTaskFailed'));
});
