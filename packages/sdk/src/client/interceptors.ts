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
  describe?(
    input: WorkflowDescribeInput,
    next: (input: WorkflowDescribeInput) => Promise<unknown>,
  ): Promise<unknown>;
}
