// Workflows used by the runtime unit tests: plain async functions, no bundler.
import {
  ApplicationFailure,
  CancellationScope,
  captureEffect,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getVersion,
  isCancellation,
  proxyActivities,
  setHandler,
  sideEffect,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '../../src/workflow/index.js';
import { fail, HugoError, ok, type Result } from '@odin/hugo';

export interface Activities {
  greet(name: string): Promise<string>;
  charge(amount: number): Promise<string>;
  refund(chargeId: string): Promise<void>;
  explode(): Promise<void>;
}

const acts = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });

export async function greeting(name: string): Promise<string> {
  return await acts.greet(name);
}

export async function timerThenActivity(name: string): Promise<string> {
  await sleep('1 hour');
  return await acts.greet(name);
}

export async function activityOnly(name: string): Promise<string> {
  return await acts.greet(name);
}

export async function clockAndRandom(): Promise<{
  now: number;
  newDate: number;
  random: number[];
  uuid: string;
}> {
  const first = {
    now: Date.now(),
    newDate: new Date(Date.parse(new Date().toISOString())).valueOf(),
    random: [Math.random(), Math.random()],
    uuid: uuid4(),
  };
  await sleep(5000);
  return { ...first, now: Date.now() };
}

export async function usesSetTimeout(): Promise<string> {
  await new Promise<void>((resolve) => setTimeout(resolve, 2000));
  return 'done';
}

export const approve = defineSignal<[string]>('approve');
export const status = defineQuery<string>('status');

export async function approval(): Promise<string> {
  let state = 'waiting';
  let approver: string | undefined;
  setHandler(approve, (who) => {
    approver = who;
  });
  setHandler(status, () => state);
  const approved = await condition(() => approver !== undefined, '1 day');
  state = approved ? `approved by ${approver}` : 'timed out';
  return state;
}

export async function cancellable(): Promise<string> {
  await sleep('7 days');
  return 'slept';
}

export async function scopeCancelsTimer(): Promise<string> {
  const outcome = await CancellationScope.cancellable(async () => {
    const timer = sleep(60_000);
    CancellationScope.current().cancel();
    try {
      await timer;
      return 'fired';
    } catch {
      return 'cancelled';
    }
  });
  return outcome;
}

export async function withTimeoutScope(): Promise<string> {
  try {
    await CancellationScope.withTimeout(1000, () => sleep(60_000));
    return 'slept';
  } catch {
    return 'timed out';
  }
}

let sideEffectCalls = 0;
export function sideEffectCallCount(): number {
  return sideEffectCalls;
}

export async function recordsSideEffect(): Promise<number> {
  const value = await sideEffect(() => {
    sideEffectCalls++;
    return 42;
  });
  await sleep(1000);
  return value;
}

export async function versioned(): Promise<string> {
  const version = await getVersion('greeting-change', -1, 2);
  await sleep(1000);
  return `v${version}`;
}

export async function returnsResult(fails: boolean): Promise<Result<string>> {
  await sleep(10);
  return fails ? fail(HugoError.validation('bad order')) : ok('good order');
}

export async function throwsApplicationFailure(): Promise<void> {
  throw ApplicationFailure.nonRetryable('nope', 'NopeError');
}

export async function throwsBug(): Promise<void> {
  throw new TypeError('a bug');
}

export async function continues(round: number): Promise<number> {
  if (round < 3) await continueAsNew([round + 1]);
  return round;
}

export async function info(): Promise<{ workflowType: string; taskQueue: string; workflowId: string }> {
  const i = workflowInfo();
  upsertSearchAttributes({ CustomKeywordField: ['x'] });
  return { workflowType: i.workflowType, taskQueue: i.taskQueue, workflowId: i.workflowId };
}

export async function saga(failAt: string): Promise<string[]> {
  const log: string[] = [];
  const compensations: (() => Promise<void>)[] = [];
  try {
    const chargeId = await acts.charge(100);
    log.push(`charged ${chargeId}`);
    compensations.unshift(() => acts.refund(chargeId));
    if (failAt === 'ship') await acts.explode();
    log.push('shipped');
  } catch {
    for (const compensate of compensations) await compensate();
    log.push('compensated');
  }
  return log;
}

export async function concurrentEffects(): Promise<string[]> {
  const log: string[] = [];
  await Promise.all([
    (async () => {
      const id = await sideEffect(() => `id-${Math.floor(Math.random() * 1e9)}`);
      log.push(id.startsWith('id-') ? 'effect' : 'bad');
      await sleep(10);
      log.push('a');
    })(),
    (async () => {
      await sleep(5);
      log.push('b');
    })(),
  ]);
  return log;
}

export async function capturesHugoEffect(): Promise<string> {
  const outcome = await captureEffect('lookup', async () => ok(`looked up ${++sideEffectCalls}`));
  await sleep(10);
  return outcome.ok ? outcome.value : 'failed';
}

export async function versionTooNew(): Promise<number> {
  return getVersion('greeting-change', 3, 4);
}

export async function cancelsLaterActivity(): Promise<string> {
  const scope = new CancellationScope();
  const call = scope.run(() => acts.greet('slow'));
  await sleep(1000);
  scope.cancel();
  try {
    await call;
    return 'completed';
  } catch (error) {
    return isCancellation(error) ? 'cancelled' : 'other';
  }
}

const waitingActs = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});

export async function waitsForActivityCancellation(): Promise<string> {
  const scope = new CancellationScope();
  const call = scope.run(() => waitingActs.greet('slow'));
  await sleep(1000);
  scope.cancel();
  try {
    await call;
    return 'completed';
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${(error.cause as Error | undefined)?.name}` : 'other';
  }
}

export async function globalCrypto(): Promise<{ uuid: string; interval: string }> {
  let interval = 'allowed';
  try {
    setInterval(() => undefined, 1000);
  } catch (error) {
    interval = (error as Error).name;
  }
  return { uuid: crypto.randomUUID(), interval };
}
