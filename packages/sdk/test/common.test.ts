import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Semaphore } from '@odin/hugo';
import {
  ApplicationFailure as OfficialApplicationFailure,
  defaultPayloadConverter as official,
} from '@temporalio/client';
import { durationMs, toProtoDuration } from '../src/common/duration.js';
import {
  ActivityFailure,
  ApplicationFailure,
  errorToFailure,
  failureToError,
  TimeoutFailure,
} from '../src/common/failure.js';
import { defaultPayloadConverter as ours } from '../src/common/payload.js';
import { defaultWorkerIdentity } from '../src/worker/identity.js';

describe('payload converter', () => {
  const values: unknown[] = [
    undefined,
    null,
    0,
    'text',
    { a: [1, 'two', { three: true }] },
    new Uint8Array([1, 2, 3]),
  ];

  test('our payloads are byte-identical to the official default converter', () => {
    for (const value of values) {
      const a = ours.toPayload(value);
      const b = official.toPayload(value);
      assert.deepEqual(Buffer.from(a.data ?? []), Buffer.from(b?.data ?? []), `data of ${String(value)}`);
      assert.deepEqual(
        Object.fromEntries(Object.entries(a.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString()])),
        Object.fromEntries(Object.entries(b?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString()])),
      );
    }
  });

  test('each converter reads what the other wrote', () => {
    for (const value of values) {
      assert.deepEqual(ours.fromPayload(official.toPayload(value)), value);
      assert.deepEqual(official.fromPayload(ours.toPayload(value)), value);
    }
  });

  test('an unknown encoding is refused with a message naming it', () => {
    assert.throws(
      () =>
        ours.fromPayload({
          metadata: { encoding: new TextEncoder().encode('x/custom') },
          data: new Uint8Array(),
        }),
      /Unknown payload encoding "x\/custom"/,
    );
  });
});

describe('failures', () => {
  test('an ApplicationFailure survives the round trip with type, retryability and details', () => {
    const failure = errorToFailure(
      ApplicationFailure.nonRetryable('card declined', 'CardDeclined', { code: 51 }),
      ours,
    );
    const back = failureToError(failure, ours);
    assert.ok(back instanceof ApplicationFailure);
    assert.equal(back.type, 'CardDeclined');
    assert.equal(back.nonRetryable, true);
    assert.deepEqual(back.details, [{ code: 51 }]);
  });

  test('nested causes keep their kinds', () => {
    const error = new ActivityFailure(
      'Activity task failed',
      'charge',
      '1',
      'TIMEOUT',
      new TimeoutFailure('late', 'START_TO_CLOSE'),
    );
    const back = failureToError(errorToFailure(error, ours), ours);
    assert.ok(back instanceof ActivityFailure);
    assert.equal(back.activityType, 'charge');
    assert.equal(back.retryState, 'TIMEOUT');
    assert.ok(back.cause instanceof TimeoutFailure);
    assert.equal((back.cause as TimeoutFailure).timeoutType, 'START_TO_CLOSE');
  });

  test('a plain Error becomes an application failure typed by its name', () => {
    const failure = errorToFailure(new RangeError('out of range'), ours);
    assert.equal(failure.applicationFailureInfo?.type, 'RangeError');
    assert.equal(failure.message, 'out of range');
    assert.ok(OfficialApplicationFailure.name === 'ApplicationFailure');
  });
});

describe('durations', () => {
  test('numbers are milliseconds and strings carry units', () => {
    assert.equal(durationMs(250), 250);
    assert.equal(durationMs('250ms'), 250);
    assert.equal(durationMs('30s'), 30_000);
    assert.equal(durationMs('1.5 minutes'), 90_000);
    assert.equal(durationMs('2h'), 7_200_000);
    assert.equal(durationMs('1 day'), 86_400_000);
    assert.equal(durationMs('2 weeks'), 1_209_600_000);
    assert.throws(() => durationMs('soon'), /Invalid duration "soon"/);
    assert.throws(() => durationMs(-1), /Invalid duration "-1"/);
  });

  test("the grammar is @odin/hugo's: Go-style compounds too, and numbers keep their fraction", () => {
    assert.equal(durationMs('1h30m'), 5_400_000);
    assert.equal(durationMs('2m 10s'), 130_000);
    assert.equal(durationMs(0.4), 0.4);
    assert.deepEqual(toProtoDuration('1h30m'), { seconds: 5400, nanos: 0 });
    assert.throws(() => durationMs('1h soon'), TypeError);
  });
});

describe('worker identity and concurrency', () => {
  test('identity names cluster, region and pod when the deployment provides them', () => {
    assert.equal(
      defaultWorkerIdentity(
        { HUGO_ORCHESTRATOR_CLUSTER: 'prod', HUGO_ORCHESTRATOR_REGION: 'eu-west-1', POD_NAME: 'orders-7d9f' },
        42,
        'node-3',
      ),
      'prod/eu-west-1/orders-7d9f/42@node-3',
    );
    assert.equal(defaultWorkerIdentity({}, 42, 'laptop'), '42@laptop');
    assert.equal(
      defaultWorkerIdentity({ KUBERNETES_SERVICE_HOST: '10.0.0.1', HOSTNAME: 'pod-x' }, 1, 'h'),
      'pod-x/1@h',
    );
  });

  test("the worker's slots (Hugo's Semaphore) grant at most the capacity and hand a released slot to the next waiter", async () => {
    const slots = new Semaphore(2);
    await slots.acquire();
    await slots.acquire();
    let third = false;
    const waiting = slots.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    assert.equal(third, false);
    slots.release();
    await waiting;
    assert.equal(third, true);
    const aborted = new AbortController();
    const cancelled = slots.acquire(aborted.signal);
    aborted.abort();
    await assert.rejects(cancelled);
    assert.equal(slots.available, 0);
  });

  test('tryAcquire (eager activities) takes a free slot at once, and none while slots are out or waited for', async () => {
    const slots = new Semaphore(1);
    assert.equal(slots.tryAcquire(), true);
    assert.equal(slots.tryAcquire(), false);
    const waiting = slots.acquire();
    slots.release();
    await waiting;
    assert.equal(slots.tryAcquire(), false, 'the released slot went to the waiter');
    slots.release();
    assert.equal(slots.tryAcquire(), true);
  });
});
