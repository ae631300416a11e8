// What every example's main.ts does: connect to the server `hugo-orchestrator server start-dev` runs, run a
// worker for the example's task queue while the client part runs, then close.
import type { ActivityFunction } from '@odin/sdk';
import { Connection, Worker, WorkflowClient } from '@odin/sdk';

export interface ExampleDefinition<T> {
  taskQueue: string;
  /** A workflow module's exports (workflow functions by type name). */
  workflows: Readonly<Record<string, unknown>>;
  activities?: Readonly<Record<string, ActivityFunction>>;
  /** The client side of the example; its value is what main.ts prints. */
  drive(client: WorkflowClient): Promise<T>;
}

/** Runs one example against `address` (a worker only for the duration of `drive`). */
export async function runExample<T>(address: string, example: ExampleDefinition<T>): Promise<T> {
  const connection = Connection.connect({ address });
  try {
    const worker = await Worker.create({
      connection,
      taskQueue: example.taskQueue,
      workflows: example.workflows,
      ...(example.activities ? { activities: example.activities } : {}),
      shutdownGraceMs: 1000,
    });
    return await worker.runUntil(() => example.drive(new WorkflowClient({ connection })));
  } finally {
    connection.close();
  }
}

/** The entry point of `node … examples/<name>/main.ts`: the address from HUGO_ORCHESTRATOR_ADDRESS or :7233. */
export async function main<T>(run: ExampleDefinition<T> | ((address: string) => Promise<T>)): Promise<void> {
  const address = process.env.HUGO_ORCHESTRATOR_ADDRESS ?? '127.0.0.1:7233';
  try {
    const outcome = typeof run === 'function' ? await run(address) : await runExample(address, run);
    console.log(JSON.stringify(outcome, null, 2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    console.error(
      `(is the dev server running at ${address}? start it with: hugo-orchestrator server start-dev)`,
    );
    process.exitCode = 1;
  }
}
