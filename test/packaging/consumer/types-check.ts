// Compiled with `tsc --noEmit` (moduleResolution nodenext, skipLibCheck off) in the project the tarballs were
// installed into: the declarations of @odin/sdk, @odin/sdk/workflow and @odin/hugo must resolve, and to real types,
// not `any` (each @ts-expect-error below fails the compile when its line is not an error).
import { durationMs, ErrGroup, ok, type Result } from '@odin/hugo';
import { Connection, Worker, WorkflowClient } from '@odin/sdk';
import { proxyActivities, sleep } from '@odin/sdk/workflow';

interface Activities {
  greet(name: string): Promise<string>;
}

const { greet } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export async function greeting(name: string): Promise<string> {
  await sleep('1 second');
  return await greet(name);
}

export async function main(address: string): Promise<string> {
  const connection = Connection.connect({ address });
  const worker: Worker = await Worker.create({
    connection,
    taskQueue: 'types',
    workflows: { greeting },
    activities: { greet: async (name: string) => `Hello, ${name}` },
  });
  const client = new WorkflowClient({ connection, namespace: 'default' });
  // @ts-expect-error the arguments are checked against the workflow's parameters
  await client.start(greeting, { workflowId: 'w', taskQueue: 'types', args: [42] });
  const result: string = await worker.runUntil(() =>
    client.execute(greeting, { workflowId: 'w', taskQueue: 'types', args: ['Odin'] }),
  );
  // @ts-expect-error the result is typed from the workflow (a string)
  const wrong: number = await client.execute(greeting, {
    workflowId: 'w2',
    taskQueue: 'types',
    args: ['Odin'],
  });
  return `${result}${wrong}`;
}

const group = new ErrGroup();
group.go(async () => ok(durationMs('1h30m')));
export const outcome: Promise<Result<void>> = group.wait();
// @ts-expect-error durationMs takes a duration, not an object
durationMs({});
