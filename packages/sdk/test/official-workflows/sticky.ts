// test/workflows/sticky.ts's signalSteps on the official @temporalio/workflow.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const step = defineSignal('step');

export async function signalSteps(n: number): Promise<number> {
  let seen = 0;
  setHandler(step, () => void seen++);
  for (let i = 1; i <= n; i++) await condition(() => seen >= i);
  return seen;
}
