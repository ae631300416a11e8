import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ServiceError } from '@odin/api';
import { SystemClock } from '@odin/hugo';
import { callOwner, type OwnerCallOptions } from '../src/index.js';

const clock = new SystemClock();

function options(
  resolve: () => { api: string; memberId: string } | undefined,
  extra: Partial<OwnerCallOptions<string>> = {},
): OwnerCallOptions<string> {
  return {
    clock,
    ctx: { signal: new AbortController().signal, deadline: clock.now() + 2_000 },
    resolve,
    what: 'History startWorkflowExecution for workflow wf',
    defaultTimeoutMs: 30_000,
    attemptTimeoutMs: 500,
    ...extra,
  };
}

describe('callOwner: calls the current owner and retries while ownership moves', () => {
  // SystemClock timers do not hold the process open (a server's shutdown must not wait on them); this does.
  let keepAlive: NodeJS.Timeout | undefined;
  before(() => {
    keepAlive = setInterval(() => {}, 1_000);
  });
  after(() => clearInterval(keepAlive));

  test('UNAVAILABLE from the old owner is retried at the owner the ring names next', async () => {
    let owner = 'history-1';
    const tried: string[] = [];
    const result = await callOwner(
      options(() => ({ api: owner, memberId: owner })),
      async (api) => {
        tried.push(api);
        if (api === 'history-1') {
          owner = 'history-2';
          throw ServiceError.unavailable('History shard 7 is not owned by this host.');
        }
        return `answered by ${api}`;
      },
    );
    assert.equal(result, 'answered by history-2');
    assert.deepEqual(tried, ['history-1', 'history-2']);
  });

  test('an answer that is not about ownership (NOT_FOUND, INVALID_ARGUMENT) is returned at once', async () => {
    let calls = 0;
    await assert.rejects(
      callOwner(
        options(() => ({ api: 'h', memberId: 'h' })),
        async () => {
          calls++;
          throw ServiceError.notFound('Workflow execution not found.');
        },
      ),
      (e: ServiceError) => e.code === status.NOT_FOUND,
    );
    assert.equal(calls, 1);
  });

  test('an attempt cut short by its own bound is retried; the caller deadline ends the retries', async () => {
    const deadlines: number[] = [];
    const ctx = { signal: new AbortController().signal, deadline: clock.now() + 1_200 };
    await assert.rejects(
      callOwner(
        options(() => ({ api: 'paused', memberId: 'history-2/history' }), { ctx }),
        async (_api, c) => {
          deadlines.push(c.deadline!);
          throw ServiceError.deadlineExceeded('Deadline exceeded');
        },
      ),
      (e: ServiceError) => e.code === status.DEADLINE_EXCEEDED,
    );
    assert.ok(deadlines.length >= 2, `retried after a cut-short attempt (${deadlines.length} attempts)`);
    assert.ok(deadlines.every((d) => d <= ctx.deadline));
    assert.ok(deadlines[0]! < ctx.deadline, 'the first attempt was bounded below the caller deadline');
  });

  test('with no live owner the call fails UNAVAILABLE at the deadline, or a long poll answers empty', async () => {
    const ctx = () => ({ signal: new AbortController().signal, deadline: clock.now() + 150 });
    await assert.rejects(
      callOwner(
        options(() => undefined, { ctx: ctx() }),
        async () => 'never',
      ),
      (e: ServiceError) => e.code === status.UNAVAILABLE && /no live member owns it/.test(e.message),
    );
    const empty = await callOwner(
      options(() => undefined, { ctx: ctx(), attemptTimeoutMs: undefined, onDeadline: () => ({}) }),
      async () => ({ taskToken: 'never' }),
    );
    assert.deepEqual(empty, {});
  });

  test('a cancelled caller stops retrying with CANCELLED', async () => {
    const controller = new AbortController();
    const pending = callOwner(
      options(() => ({ api: 'h', memberId: 'h' }), {
        ctx: { signal: controller.signal, deadline: clock.now() + 5_000 },
      }),
      async () => {
        throw ServiceError.unavailable('moving');
      },
    );
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, (e: ServiceError) => e.code === status.CANCELLED);
  });
});

test("callOwner gives the attempt the caller's context fields without running the getters a richer caller carries", async () => {
  let loggerMade = 0;
  const signal = new AbortController().signal;
  const call = {
    signal,
    deadline: clock.now() + 60_000,
    correlationId: 'corr-1',
    identity: 'worker-1',
    method: 'StartWorkflowExecution',
    get logger() {
      loggerMade++;
      return {};
    },
  };
  const seen = await callOwner(
    options(() => ({ api: 'history-1', memberId: 'history-1' }), { ctx: call, attemptTimeoutMs: 500 }),
    async (_api, ctx) => ctx,
  );
  assert.equal(loggerMade, 0);
  assert.equal(seen.signal, signal);
  assert.equal(seen.correlationId, 'corr-1');
  assert.equal(seen.identity, 'worker-1');
  assert.ok(seen.deadline !== undefined && seen.deadline <= clock.now() + 500);
  assert.equal('logger' in seen, false);
});
