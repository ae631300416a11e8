// Workflows for the eager workflow start tests: an activity and a timer after the first task, so the run goes on
// through the sticky queue and an (eager) activity once the first task came with the start's answer.
import { proxyActivities, sleep } from '../../src/workflow/index.js';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '30s' });

export async function greeting(name: string): Promise<string> {
  const greeted = await greet(name);
  await sleep(1);
  return `${greeted}!`;
}
