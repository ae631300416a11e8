// Workflows the HTTP API tests run on a real worker: a greeting that waits for an approval signal.
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, sleep } from '@odin/sdk/workflow';

const acts = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });

export const approve = defineSignal<[string]>('approve');
export const statusQuery = defineQuery<string>('status');

export async function httpGreeting(name: string): Promise<{ greeting: string; note: string }> {
  let note: string | undefined;
  setHandler(approve, (value: string) => {
    note = value;
  });
  setHandler(statusQuery, () => (note === undefined ? `waiting for ${name}` : `approved: ${note}`));
  const greeting = await acts.greet(name);
  await sleep(10);
  await condition(() => note !== undefined);
  return { greeting, note: note ?? '' };
}
