// Workflows that use the Hugo primitives; they must replay identically.
import {
  channelCase,
  createSaga,
  ErrGroup,
  fail,
  HugoError,
  ok,
  select,
  unboundedChannel,
  WaitGroup,
  whenAll,
} from '@odin/hugo';
import { proxyActivities, sleep, workflowClock } from '../../src/workflow/index.js';

const acts = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });

export async function channelsAndSelect(): Promise<string[]> {
  const fast = unboundedChannel<string>();
  const slow = unboundedChannel<string>();
  const seen: string[] = [];
  void (async () => {
    await sleep(100);
    await fast.write('fast-1');
    await sleep(1000);
    await fast.write('fast-2');
    fast.complete();
  })();
  void (async () => {
    await sleep(500);
    await slow.write(await acts.greet('slow'));
    slow.complete();
  })();
  for (let i = 0; i < 3; i++) {
    const picked = await select([
      channelCase(fast, (v: string) => ok(v)),
      channelCase(slow, (v: string) => ok(v)),
    ]);
    if (picked.ok) seen.push(picked.value);
  }
  const timedOut = await select([channelCase(unboundedChannel<string>(), (v: string) => ok(v))], {
    timeoutMs: 2000,
    clock: workflowClock,
  });
  seen.push(timedOut.ok ? 'value' : (timedOut.error.code ?? 'error'));
  return seen;
}

export async function errGroupFanOut(names: string[]): Promise<string[]> {
  const group = new ErrGroup();
  const results: string[] = [];
  for (const name of names) {
    group.go(async () => {
      await sleep(10 * name.length);
      results.push(await acts.greet(name));
      return ok(undefined);
    });
  }
  const outcome = await group.wait();
  if (!outcome.ok) throw outcome.error;
  const wg = new WaitGroup();
  wg.go(async () => {
    await sleep(5);
    results.push('wg');
  });
  await wg.wait();
  return results;
}

export async function whenAllGreets(names: string[]): Promise<string[]> {
  const outcome = await whenAll(names.map((name) => async () => ok(await acts.greet(name))));
  if (!outcome.ok) throw outcome.error;
  return [...outcome.value];
}

const orderActs = proxyActivities<{
  charge(amount: number): Promise<string>;
  refund(chargeId: string): Promise<void>;
  explode(): Promise<void>;
}>({ startToCloseTimeout: '1 minute' });

/** Hugo's saga: a failed step runs the registered compensations (reverse order) as activities. */
export async function hugoSaga(failShipping: boolean): Promise<string> {
  const outcome = await createSaga()
    .addStep(
      'charge',
      async () => ok(await orderActs.charge(100)),
      async (chargeId: string) => {
        await orderActs.refund(chargeId);
      },
    )
    .addStep('ship', async () => {
      if (failShipping) {
        try {
          await orderActs.explode();
        } catch {
          return fail(HugoError.from('shipping failed', 'order.shipping'));
        }
      }
      return ok('shipped');
    })
    .execute();
  return outcome.ok ? `done: ${String(outcome.value.get('ship'))}` : `failed: ${outcome.error.code}`;
}
