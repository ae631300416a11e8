// Workflows for the sticky execution tests: many workflow tasks per run.
import { condition, defineSignal, setHandler, sleep } from '../../src/workflow/index.js';

export const step = defineSignal('step');

export async function manySteps(n: number): Promise<number> {
  let done = 0;
  for (let i = 0; i < n; i++) {
    await sleep(1);
    done++;
  }
  return done;
}

export async function signalSteps(n: number): Promise<number> {
  let seen = 0;
  setHandler(step, () => void seen++);
  for (let i = 1; i <= n; i++) await condition(() => seen >= i);
  return seen;
}
