// Local activity workflows; test/official-workflows/local.ts is the same code on @temporalio/workflow, so a
// history either SDK writes replays in the other.
import { ActivityFailure, proxyLocalActivities, sleep } from '../../src/workflow/index.js';

interface LocalActivities {
  greet(name: string): Promise<string>;
  /** Fails until the given attempt. */
  flaky(untilAttempt: number): Promise<string>;
  nope(): Promise<void>;
  slow(ms: number): Promise<string>;
}

const quick = proxyLocalActivities<LocalActivities>({ startToCloseTimeout: '5s' });
/** Short backoffs: retried in the worker. */
const localRetry = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '20ms', backoffCoefficient: 1.5 },
});
/** Backoffs above the local-retry threshold: the workflow waits on a timer and schedules the activity again. */
const timerRetry = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '300ms', backoffCoefficient: 2 },
  localRetryThreshold: '100ms',
});
const timesOut = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '150ms',
  retry: { maximumAttempts: 2, initialInterval: '10ms' },
});
const scheduleToClose = proxyLocalActivities<LocalActivities>({
  scheduleToCloseTimeout: '400ms',
  startToCloseTimeout: '150ms',
  retry: { initialInterval: '10ms', backoffCoefficient: 1 },
});

function describeError(error: unknown): string {
  if (error instanceof ActivityFailure)
    return `${error.name}(${error.message}) <- ${describeError(error.cause)}`;
  const e = error as { name?: string; message?: string; type?: string; timeoutType?: unknown };
  return `${e.name}:${e.type ?? ''}:${e.message}`;
}

export async function localActivities(name: string): Promise<string[]> {
  const out: string[] = [];
  out.push(await quick.greet(name));
  out.push(...(await Promise.all([quick.greet('a'), quick.greet('b')])));
  out.push(await localRetry.flaky(3));
  await sleep(10);
  out.push(await timerRetry.flaky(3));
  try {
    await quick.nope();
  } catch (error) {
    out.push(describeError(error));
  }
  return out;
}

export async function localActivityTimeouts(): Promise<string[]> {
  const out: string[] = [];
  try {
    await timesOut.slow(2000);
  } catch (error) {
    out.push(`start-to-close: ${describeError(error)}`);
  }
  try {
    await scheduleToClose.slow(2000);
  } catch (error) {
    out.push(`schedule-to-close: ${describeError(error)}`);
  }
  return out;
}

export async function twoLocal(): Promise<string[]> {
  return Promise.all([quick.greet('a'), quick.greet('b')]);
}
