import type { ExampleDefinition } from '../shared/environment.js';
import * as workflows from './workflows.js';

/** Starts an approval, shows its status, approves it by signal, then waits for the outcome. */
export const approvalExample: ExampleDefinition<{ before: string; after: string; result: string }> = {
  taskQueue: 'example-approval',
  workflows,
  async drive(client) {
    const handle = await client.start(workflows.expenseApproval, {
      taskQueue: 'example-approval',
      workflowId: `expense-${Date.now().toString(36)}`,
      args: [{ id: 'e-17', amount: 250 }],
    });
    const before = await handle.query(workflows.status);
    // A person would do this later, e.g. `hugo-orchestrator workflow signal --id <id> --signal approve --input '"Grace"'`.
    await handle.signal(workflows.approve, 'Grace');
    const result = await handle.result();
    const after = await handle.query(workflows.status);
    return { before, after, result };
  },
};
