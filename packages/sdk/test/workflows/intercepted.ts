// A workflow for the interceptor tests: an activity, a signal and a query.
import {
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  sleep,
} from '../../src/workflow/index.js';

const { whoAmI } = proxyActivities<{ whoAmI(): Promise<string> }>({ startToCloseTimeout: '30s' });
export const go = defineSignal<[string]>('go');
export const state = defineQuery<string>('state');

export async function intercepted(): Promise<string> {
  let went: string | undefined;
  setHandler(go, (value) => void (went = value));
  setHandler(state, () => (went ? `went ${went}` : 'waiting'));
  await condition(() => went !== undefined);
  await sleep(5);
  return `${went}; activity saw ${await whoAmI()}`;
}
