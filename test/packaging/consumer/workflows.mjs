// A workflow module as a user of the published packages writes it: plain ESM, the workflow API of @odin/sdk and a
// Hugo primitive (ErrGroup) from @odin/hugo, both resolved from the project's node_modules.
import { ErrGroup } from '@odin/hugo';
import { CancellationScope, proxyActivities } from '@odin/sdk/workflow';

const { greet } = proxyActivities({ startToCloseTimeout: '30 seconds' });

/** Greets every name in parallel (one activity each) and joins the greetings in the order given. */
export async function greetAll(names) {
  const group = new ErrGroup(CancellationScope.current().signal);
  const greetings = [];
  names.forEach((name, i) => {
    group.go(async () => {
      greetings[i] = await greet(name);
    });
  });
  const outcome = await group.wait();
  if (!outcome.ok) throw new Error(outcome.error.message);
  return greetings.join(' ');
}
