// Workflows for the end-to-end tests on the dev server (short real-time timers).
import {
  ActivityFailure,
  CancellationScope,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  sleep,
  workflowInfo,
} from '../../src/workflow/index.js';

const acts = proxyActivities<{
  greet(name: string): Promise<string>;
  waitForCancel(): Promise<string>;
  fail(message: string): Promise<void>;
}>({ startToCloseTimeout: '30s', heartbeatTimeout: '2s', retry: { maximumAttempts: 1 } });

export async function shortTimer(ms: number): Promise<number> {
  const before = Date.now();
  await sleep(ms);
  return Date.now() - before;
}

export async function childGreeter(name: string): Promise<string> {
  return `child of ${workflowInfo().parent?.workflowId}: ${await acts.greet(name)}`;
}

export async function parent(name: string): Promise<string> {
  return await executeChild(childGreeter, { args: [name], workflowId: `${workflowInfo().workflowId}-child` });
}

export async function cancelsActivity(): Promise<string> {
  try {
    await CancellationScope.cancellable(async () => {
      const running = acts.waitForCancel();
      await sleep(300);
      CancellationScope.current().cancel();
      return await running;
    });
    return 'not cancelled';
  } catch (error) {
    return isCancellation(error) ? 'cancelled' : `other: ${String(error)}`;
  }
}

export async function activityFails(): Promise<string> {
  try {
    await acts.fail('card declined');
    return 'no failure';
  } catch (error) {
    if (error instanceof ActivityFailure) return `${error.activityType}: ${(error.cause as Error).message}`;
    throw error;
  }
}

const handOff = proxyActivities<{ stubborn(): Promise<string> }>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: 100, maximumAttempts: 3 },
});

export async function handedBack(): Promise<string> {
  return await handOff.stubborn();
}

export async function signalsAnother(targetId: string): Promise<string> {
  await getExternalWorkflowHandle(targetId).signal('approve', 'a sibling');
  return 'sent';
}
