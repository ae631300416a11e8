import { ApplicationFailure, continueAsNew, workflowInfo } from '@temporalio/workflow';

export interface ScheduledCount {
  count: number;
  /** The message of the failure the schedule handed this run (`workflowInfo().lastFailure`), if any. */
  lastFailure: string | null;
}

/**
 * Started by a schedule: counts on from the result of the schedule's last completed run
 * (`workflowInfo().lastResult`). The run that would reach `failAt` fails instead, unless it was handed a failure.
 */
export async function scheduledCounter(failAt: number): Promise<ScheduledCount> {
  const info = workflowInfo();
  const last = info.lastResult as ScheduledCount | undefined;
  const count = (last?.count ?? 0) + 1;
  const lastFailure = info.lastFailure?.message ?? null;
  if (count === failAt && lastFailure === null) throw ApplicationFailure.nonRetryable(`failed at ${count}`);
  return { count, lastFailure };
}

/**
 * Like scheduledCounter, but its first run continues as new once (carrying the count it started from): the
 * schedule's last result is the one the chain ends with.
 */
export async function scheduledChainCounter(from?: number): Promise<ScheduledCount> {
  const info = workflowInfo();
  if (from === undefined) {
    const last = info.lastResult as ScheduledCount | undefined;
    return continueAsNew<typeof scheduledChainCounter>(last?.count ?? 0);
  }
  return { count: from + 1, lastFailure: null };
}
