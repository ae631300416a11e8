import { executeChild, workflowInfo } from '@temporalio/workflow';
import { modelChild } from './model.js';

/** Runs one child that waits until it is released, and returns what it answered. */
export async function parentOfWaitingChild(): Promise<string> {
  return executeChild(modelChild, { workflowId: `${workflowInfo().workflowId}-child`, args: ['wait', 'r'] });
}
