// Workflows the @odin/sdk worker of the authorization scenario runs: plain async functions, no bundler.
import { proxyActivities } from '@odin/sdk/workflow';

const acts = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });

export async function odinGreeting(name: string): Promise<string> {
  return await acts.greet(name);
}
