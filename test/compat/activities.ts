// Activities of the compat scenarios. They run in the test process, so they can record what happened to them.
import { activityInfo, CancelledFailure, Context, heartbeat, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export const calls: Record<string, number> = {};
export const attemptTimes: Record<string, number[]> = {};
export const heartbeatStarts: Record<string, unknown[]> = {};
export const cancelled: Set<string> = new Set();

function count(key: string): number {
  calls[key] = (calls[key] ?? 0) + 1;
  return calls[key];
}

export async function greet(name: string): Promise<string> {
  return `Hello, ${name}!`;
}

export async function echoSuffix(input: string): Promise<string> {
  return `${input}-done`;
}

/** Fails retryably `failures` times per key, then succeeds; records when each attempt started. */
export async function flaky(key: string, failures: number): Promise<string> {
  const n = count(key);
  (attemptTimes[key] ??= []).push(Date.now());
  if (n <= failures) throw ApplicationFailure.retryable(`attempt ${n} failed`, 'Flaky');
  return `ok after ${n} attempts`;
}

export async function fatal(message: string): Promise<string> {
  throw ApplicationFailure.nonRetryable(message, 'Fatal');
}

/** Heartbeats its progress; attempt 1 fails after 3 beats, attempt 2 resumes from the last details. */
export async function resumable(key: string): Promise<number> {
  const info = activityInfo();
  const start = (info.heartbeatDetails as number | undefined) ?? 0;
  (heartbeatStarts[key] ??= []).push(start);
  for (let i = start; i < start + 3; i++) {
    heartbeat(i + 1);
    await sleep(50);
  }
  if (info.attempt === 1) throw ApplicationFailure.retryable('crash after 3 beats', 'Crash');
  return start + 3;
}

/** Heartbeats once and then stops heartbeating, so the heartbeat timeout fires. */
export async function silentAfterFirstBeat(key: string): Promise<string> {
  const n = count(key);
  heartbeat('first');
  if (n === 1) await sleep(5_000);
  return `attempt ${n}`;
}

/** Heartbeats until cancelled; records the cancellation. */
export async function heartbeatUntilCancelled(key: string): Promise<string> {
  try {
    for (;;) {
      heartbeat();
      await sleep(100);
    }
  } catch (error) {
    if (error instanceof CancelledFailure || Context.current().cancellationSignal.aborted) {
      cancelled.add(key);
    }
    throw error;
  }
}

export async function sleepFor(ms: number): Promise<string> {
  await sleep(ms);
  return `slept ${ms}`;
}

const held: Record<string, () => void> = {};

/** The first call per key waits until `releaseHeld(key)`; later calls answer at once. Answers which call it was. */
export async function holdFirstCall(key: string): Promise<string> {
  const n = count(key);
  if (n === 1) await new Promise<void>((resolve) => (held[key] = resolve));
  return `call ${n}`;
}

/** Lets the held first call of `holdFirstCall(key)` return. */
export async function releaseHeld(key: string): Promise<void> {
  held[key]?.();
}
