// Workflow interceptors, modelled on the official SDK's WorkflowInboundCallsInterceptor and
// WorkflowOutboundCallsInterceptor. They run as workflow code (deterministic context, durable timers), so they
// must be deterministic too: do the same thing on replay, only without side effects outside the workflow.
import type { Headers } from '../common/interceptors.js';
import type {
  ActivityOptions,
  ChildWorkflowHandle,
  ChildWorkflowOptions,
  ContinueAsNewOptions,
  LocalActivityOptions,
} from './options.js';

export interface WorkflowExecuteInput {
  readonly args: unknown[];
  /** The headers the workflow was started with (WorkflowExecutionStarted's header). */
  readonly headers: Headers;
}

export interface SignalInput {
  readonly signalName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

export interface QueryInput {
  readonly queryId: string;
  readonly queryName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

export interface UpdateInput {
  readonly updateId: string;
  readonly name: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

export interface WorkflowInboundCallsInterceptor {
  execute?(
    input: WorkflowExecuteInput,
    next: (input: WorkflowExecuteInput) => Promise<unknown>,
  ): Promise<unknown>;
  handleSignal?(input: SignalInput, next: (input: SignalInput) => Promise<void>): Promise<void>;
  /** Runs an accepted update's handler; what it returns (or throws) is the update's outcome. */
  handleUpdate?(input: UpdateInput, next: (input: UpdateInput) => Promise<unknown>): Promise<unknown>;
  /** Runs an update's validator (synchronous; throwing rejects the update). Not called on replay. */
  validateUpdate?(input: UpdateInput, next: (input: UpdateInput) => void): void;
  /** Queries run against a settled run and must not issue commands; an interceptor may still be async. */
  handleQuery?(input: QueryInput, next: (input: QueryInput) => Promise<unknown>): Promise<unknown>;
}

export interface ActivityInput {
  readonly activityType: string;
  readonly args: unknown[];
  readonly options: ActivityOptions;
  /** Sent with the ScheduleActivityTask command; the activity's inbound interceptors read them. */
  readonly headers: Headers;
}

export interface LocalActivityInput {
  readonly activityType: string;
  readonly args: unknown[];
  readonly options: LocalActivityOptions;
  /** Handed to the local activity's inbound interceptors (local activity markers record no header). */
  readonly headers: Headers;
  readonly attempt: number;
  readonly originalScheduleTime: number | undefined;
}

export interface TimerInput {
  readonly durationMs: number;
}

export interface StartChildWorkflowExecutionInput {
  readonly workflowType: string;
  readonly args: unknown[];
  readonly options: ChildWorkflowOptions;
  /** Sent with the StartChildWorkflowExecution command; the child's `execute` interceptors read them. */
  readonly headers: Headers;
}

export interface SignalWorkflowInput {
  readonly workflowId: string;
  readonly runId: string;
  readonly signalName: string;
  readonly args: unknown[];
  readonly childWorkflowOnly: boolean;
  readonly headers: Headers;
}

export interface ContinueAsNewInput {
  readonly workflowType: string;
  readonly args: unknown[];
  readonly options: ContinueAsNewOptions;
  readonly headers: Headers;
}

export interface WorkflowOutboundCallsInterceptor {
  scheduleActivity?(input: ActivityInput, next: (input: ActivityInput) => Promise<unknown>): Promise<unknown>;
  scheduleLocalActivity?(
    input: LocalActivityInput,
    next: (input: LocalActivityInput) => Promise<unknown>,
  ): Promise<unknown>;
  startTimer?(input: TimerInput, next: (input: TimerInput) => Promise<void>): Promise<void>;
  /** Resolves once the child started, with its handle (whose `result()` waits for it to close). */
  startChildWorkflowExecution?(
    input: StartChildWorkflowExecutionInput,
    next: (input: StartChildWorkflowExecutionInput) => Promise<ChildWorkflowHandle>,
  ): Promise<ChildWorkflowHandle>;
  signalWorkflow?(
    input: SignalWorkflowInput,
    next: (input: SignalWorkflowInput) => Promise<void>,
  ): Promise<void>;
  /** `next` rejects with the ContinueAsNew the runtime turns into the command; let it escape. */
  continueAsNew?(
    input: ContinueAsNewInput,
    next: (input: ContinueAsNewInput) => Promise<never>,
  ): Promise<never>;
}

export interface WorkflowInterceptors {
  inbound?: WorkflowInboundCallsInterceptor[];
  outbound?: WorkflowOutboundCallsInterceptor[];
}

/** Called once per run, as workflow code at its start (so `workflowInfo()` works), for that run's interceptors. */
export type WorkflowInterceptorsFactory = () => WorkflowInterceptors;
