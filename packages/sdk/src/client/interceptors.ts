// Client interceptors, shaped like the official SDK's WorkflowClientInterceptor: each method gets the call's input
// (headers included, so an interceptor can add context such as a trace) and the `next` step.
import type { Headers } from '../common/interceptors.js';
import type { WorkflowStartOptions } from './start-options.js';

export interface WorkflowExecutionRef {
  readonly workflowId: string;
  readonly runId?: string | undefined;
}

export interface WorkflowStartInput {
  /** The client's namespace (not in the official input; instrumentation names it). */
  readonly namespace: string;
  readonly workflowType: string;
  readonly headers: Headers;
  readonly options: WorkflowStartOptions;
}

export interface WorkflowSignalWithStartInput extends WorkflowStartInput {
  readonly signalName: string;
  readonly signalArgs: unknown[];
}

export interface WorkflowSignalInput {
  readonly namespace: string;
  readonly workflowExecution: WorkflowExecutionRef;
  readonly signalName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

export interface WorkflowQueryInput {
  readonly namespace: string;
  readonly workflowExecution: WorkflowExecutionRef;
  readonly queryType: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

export interface WorkflowTerminateInput {
  readonly workflowExecution: WorkflowExecutionRef;
  readonly reason: string;
  readonly details: unknown[];
}

export interface WorkflowCancelInput {
  readonly workflowExecution: WorkflowExecutionRef;
  readonly reason: string;
}

export interface WorkflowDescribeInput {
  readonly workflowExecution: WorkflowExecutionRef;
}

export interface WorkflowStartUpdateInput {
  readonly namespace: string;
  readonly workflowExecution: WorkflowExecutionRef;
  readonly firstExecutionRunId: string | undefined;
  readonly updateId: string;
  readonly updateName: string;
  readonly args: unknown[];
  /** Sent in the update's input header; the workflow's update interceptors read them. */
  readonly headers: Headers;
  readonly waitForStage: 'ACCEPTED' | 'COMPLETED';
}

export interface WorkflowStartUpdateOutput {
  readonly workflowRunId: string;
  /** Set when the update is over (completed, failed or rejected). */
  readonly outcome?: import('@temporalio/proto').temporal.api.update.v1.IOutcome;
}

/** Intercepts what a WorkflowClient sends; every method is optional. `start` resolves to the new run id. */
export interface WorkflowClientInterceptor {
  start?(input: WorkflowStartInput, next: (input: WorkflowStartInput) => Promise<string>): Promise<string>;
  signalWithStart?(
    input: WorkflowSignalWithStartInput,
    next: (input: WorkflowSignalWithStartInput) => Promise<string>,
  ): Promise<string>;
  signal?(input: WorkflowSignalInput, next: (input: WorkflowSignalInput) => Promise<void>): Promise<void>;
  query?(input: WorkflowQueryInput, next: (input: WorkflowQueryInput) => Promise<unknown>): Promise<unknown>;
  terminate?(
    input: WorkflowTerminateInput,
    next: (input: WorkflowTerminateInput) => Promise<void>,
  ): Promise<void>;
  cancel?(input: WorkflowCancelInput, next: (input: WorkflowCancelInput) => Promise<void>): Promise<void>;
  /** An update sent to a running workflow (`startUpdate`, `executeUpdate`). */
  startUpdate?(
    input: WorkflowStartUpdateInput,
    next: (input: WorkflowStartUpdateInput) => Promise<WorkflowStartUpdateOutput>,
  ): Promise<WorkflowStartUpdateOutput>;
  describe?(
    input: WorkflowDescribeInput,
    next: (input: WorkflowDescribeInput) => Promise<unknown>,
  ): Promise<unknown>;
}
