// Workflows for the payload codec tests: every kind of payload a workflow writes (activity and local activity
// arguments and results, a side-effect marker, signals, queries, failures with details).
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sideEffect,
} from '../../src/workflow/index.js';

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '30s' });
const local = proxyLocalActivities<{ greet(name: string): Promise<string> }>({ startToCloseTimeout: '5s' });

export const reveal = defineSignal<[string]>('reveal');
export const secret = defineQuery<string>('secret');

export async function encrypted(name: string): Promise<string> {
  let revealed: string | undefined;
  setHandler(reveal, (value) => void (revealed = value));
  setHandler(secret, () => `secret of ${name}`);
  const remote = await greet(name);
  const nearby = await local.greet(name);
  const effect = await sideEffect(() => 'effect');
  await condition(() => revealed !== undefined);
  return `${remote} ${nearby} ${effect} ${revealed}`;
}

export async function encryptedFailure(card: string): Promise<void> {
  throw ApplicationFailure.nonRetryable('secret failure', 'SecretError', { card });
}
