import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

export async function sleeper(ms: number): Promise<string> {
  await sleep(ms);
  return 'awake';
}

/** Starts `count` timers at once (durations spread over a few ms) and waits for all of them. */
export async function manyTimers(count: number): Promise<number> {
  let fired = 0;
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      sleep(50 + (i % 20)).then(() => {
        fired++;
      }),
    ),
  );
  return fired;
}

/**
 * Starts a 1 s timer, cancels it 100 ms later (after the server recorded it), then sleeps past its due time:
 * the cancelled timer never fires.
 */
export async function cancelledTimer(): Promise<string> {
  let outcome = 'fired';
  const scope = new CancellationScope();
  const timer = scope
    .run(() => sleep(1000))
    .catch((error: unknown) => {
      outcome = isCancellation(error) ? 'cancelled' : `failed: ${String(error)}`;
    });
  await sleep(100);
  scope.cancel();
  await timer;
  await sleep(1500);
  return outcome;
}
