// Workflows for the OpenTelemetry tests: a trace through an activity, a local activity, a child workflow and an
// activity the official worker runs.
import {
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '../../src/workflow/index.js';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '30s' });
const { officialGreet } = proxyActivities<{ officialGreet(name: string): Promise<string> }>({
  startToCloseTimeout: '30s',
  taskQueue: 'otel-official',
});
const local = proxyLocalActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '5s' });

export async function traced(name: string): Promise<string[]> {
  const remote = await greet(name);
  const nearby = await local.greet(name);
  const child = await executeChild(tracedChild, {
    args: [name],
    workflowId: `${workflowInfo().workflowId}-child`,
  });
  const official = await officialGreet(name);
  return [remote, nearby, child, official];
}

export async function tracedChild(name: string): Promise<string> {
  await sleep(10);
  return greet(`child ${name}`);
}
