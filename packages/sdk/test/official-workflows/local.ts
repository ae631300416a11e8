// The local activity workflows of test/workflows/local.ts on the official @temporalio/workflow.
import { ActivityFailure, proxyLocalActivities, sleep } from '@temporalio/workflow';

interface LocalActivities {
  greet(name: string): Promise<string>;
  flaky(untilAttempt: number): Promise<string>;
  nope(): Promise<void>;
  slow(ms: number): Promise<string>;
}

const quick = proxyLocalActivities<LocalActivities>({ startToCloseTimeout: '5s' });
const localRetry = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '20ms', backoffCoefficient: 1.5 },
});
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
  const e = error as { name?: string; message?: string; type?: string };
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
