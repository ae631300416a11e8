import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import type { ChildInfo } from './mutable-state.js';

/** ChildWorkflowExecutionStarted in the parent, once the child run exists. */
export function recordChildStarted(mut: Mutation, info: ChildInfo, runId: string): void {
  info.runId = runId;
  mut.dirty = true;
  mut.addOrBuffer(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
    childWorkflowExecutionStartedEventAttributes: {
      namespace: info.namespace,
      namespaceId: info.namespaceId,
      initiatedEventId: info.initiatedEventId,
      workflowExecution: { workflowId: info.workflowId, runId },
      workflowType: { name: info.workflowType },
    },
  });
}
