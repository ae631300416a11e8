// Workflows for the official @temporalio/worker (bundled by its own bundler) in the interop tests.
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({
  startToCloseTimeout: '1 minute',
});

export const approve = defineSignal<[string]>('approve');
export const status = defineQuery<string>('status');

export async function officialApproval(name: string): Promise<string> {
  let state = 'waiting';
  let approver: string | undefined;
  setHandler(approve, (who: string) => {
    approver = who;
  });
  setHandler(status, () => state);
  await condition(() => approver !== undefined);
  state = `approved by ${approver}`;
  return `${await greet(name)} (${state})`;
}
