// Human in the loop: the workflow waits (durably, for up to a week) for an `approve` or `reject` signal, answers
// a `status` query meanwhile, and then finishes the request.
import { condition, defineQuery, defineSignal, setHandler } from '@odin/sdk/workflow';

export interface Decision {
  approved: boolean;
  by: string;
  comment?: string;
}

export const approve = defineSignal<[string]>('approve');
export const reject = defineSignal<[string, string]>('reject');
export const status = defineQuery<string>('status');

export async function expenseApproval(request: { id: string; amount: number }): Promise<string> {
  let decision: Decision | undefined;
  setHandler(approve, (by) => {
    decision ??= { approved: true, by };
  });
  setHandler(reject, (by, comment) => {
    decision ??= { approved: false, by, comment };
  });
  setHandler(status, () =>
    decision ? `${decision.approved ? 'approved' : 'rejected'} by ${decision.by}` : 'waiting for approval',
  );
  if (!(await condition(() => decision !== undefined, '7 days'))) return `expense ${request.id}: expired`;
  // TypeScript cannot see that a signal handler assigned it while the workflow waited.
  const d = decision as unknown as Decision;
  return d.approved
    ? `expense ${request.id} (${request.amount}) approved by ${d.by}`
    : `expense ${request.id} rejected by ${d.by}: ${d.comment ?? ''}`;
}
