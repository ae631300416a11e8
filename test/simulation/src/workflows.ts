// The simulation's workflow code, run by @odin/sdk workers. Every result is a function of the plan it is given (and
// of the signals the client sends, which the scenario fixes), so the checker knows what each workflow must return
// whatever faults its run went through: `expectedResult` in workload.ts mirrors this code.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@odin/sdk/workflow';

export interface Plan {
  /** Activity i returns i + 1 after failing its first failFirst[i] attempts. */
  readonly failFirst: readonly number[];
  /** Activity i's first attempt hangs past its start-to-close timeout (so it is retried after a timeout). */
  readonly hangFirst: readonly boolean[];
  readonly timersMs: readonly number[];
  /** Signals `add` to wait for (their values are summed). */
  readonly signals: number;
  /** A child workflow with this plan, whose result is added. */
  readonly child?: Plan;
  /** Runs to go through continue-as-new after this one, each doing the plan again. */
  readonly continues: number;
  /** A local activity (recorded as a marker) failing its first attempts this many times, adding 100. */
  readonly localFailFirst?: number;
  /** Updates `bump` to accept before returning (their values are summed into the result). */
  readonly updates?: number;
  /** How long each accepted `bump` sleeps before it completes (accepted in one task, completed in a later one). */
  readonly updateSleepMs?: number;
}

export interface SimActivities {
  step(index: number, failFirst: number, hangFirst: boolean): Promise<number>;
  /** Heartbeats until it is cancelled (its cancellation reaches it through the heartbeat response). */
  waitForCancel(): Promise<number>;
}

const acts = proxyActivities<SimActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

const waiting = proxyActivities<SimActivities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

const local = proxyLocalActivities<SimActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

export const add = defineSignal<[number]>('add');
/** Adds its value to the result and returns ten times it; a value below 1 is rejected by its validator. */
export const bump = defineUpdate<number, [number]>('bump');

/** What an accepted `bump` returns: the checker expects exactly this. */
export function bumpResult(value: number): number {
  return value * 10;
}

export async function planned(plan: Plan, carried = 0, run = 0): Promise<number> {
  let received = 0;
  let signalSum = 0;
  setHandler(add, (value: number) => {
    received++;
    signalSum += value;
  });
  let bumped = 0;
  let bumpSum = 0;
  setHandler(
    bump,
    async (value: number) => {
      if (plan.updateSleepMs) await sleep(plan.updateSleepMs);
      bumped++;
      bumpSum += value;
      return bumpResult(value);
    },
    {
      validator: (value: number) => {
        if (value < 1) throw new Error(`bump ${value} refused`);
      },
    },
  );
  let total = carried;
  for (let i = 0; i < plan.failFirst.length; i++) {
    total += await acts.step(i, plan.failFirst[i] ?? 0, plan.hangFirst[i] ?? false);
  }
  if (plan.localFailFirst !== undefined) total += await local.step(99, plan.localFailFirst, false);
  for (const ms of plan.timersMs) await sleep(ms);
  if (plan.child) {
    total += await executeChild(planned, {
      workflowId: `${workflowInfo().workflowId}-child-${run}`,
      args: [plan.child, 0, 0],
    });
  }
  if (plan.signals > 0) await condition(() => received >= plan.signals);
  total += signalSum;
  if (plan.updates) {
    await condition(() => bumped >= (plan.updates ?? 0) && allHandlersFinished());
    total += bumpSum;
  }
  if (plan.continues > 0) {
    return continueAsNew([{ ...plan, continues: plan.continues - 1 }, total, run + 1]);
  }
  return total;
}

export const state = defineQuery<string>('state');

/**
 * Waits for a cancellation, then cleans up with an activity in a scope the cancellation does not reach. Also the
 * workflow the client terminates (it never finishes the day's sleep) and queries afterwards.
 */
export async function cancellable(base: number, inActivity = false): Promise<number> {
  setHandler(state, () => 'waiting');
  try {
    if (inActivity) await waiting.waitForCancel();
    else await sleep('1 day');
    return -1;
  } catch (error) {
    if (!isCancellation(error)) throw error;
    return await CancellationScope.nonCancellable(async () => base + (await acts.step(0, 0, false)));
  }
}

/** What a schedule starts: one activity, whose result it returns. */
export async function tick(): Promise<number> {
  return await acts.step(0, 0, false);
}
