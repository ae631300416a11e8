import type { temporal } from '@temporalio/proto';

type WorkflowServiceApi = temporal.api.workflowservice.v1.WorkflowService;

/** The lower-camel names of every WorkflowService RPC (e.g. `startWorkflowExecution`). */
export type WorkflowServiceMethod = {
  [K in keyof WorkflowServiceApi]: WorkflowServiceApi[K] extends { readonly path: string } ? K : never;
}[keyof WorkflowServiceApi];

/** The request property object of an RPC. */
export type RequestOf<M extends WorkflowServiceMethod> = WorkflowServiceApi[M] extends (
  request: infer R,
) => Promise<unknown>
  ? R
  : never;

/** The decoded response message of an RPC. */
export type ResponseOf<M extends WorkflowServiceMethod> = WorkflowServiceApi[M] extends (
  request: never,
) => Promise<infer R>
  ? R
  : never;
