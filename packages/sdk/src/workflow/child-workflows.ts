import { type Int64Like, toNumber } from '@odin/api/public';
import {
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  failureToError,
  retryStateName,
  TerminatedFailure,
  TimeoutFailure,
} from '../common/failure.js';
import { firstValue, type PayloadConverter } from '../common/payload.js';
import { CancellationScope } from './cancellation-scope.js';
import type { CommandBuffer } from './command-buffer.js';
import { startChildWorkflowCommand } from './command-builders.js';
import { type Deferred, deferred, handled } from './deferred.js';
import { type EventEntries, recordedCommand } from './event-table.js';
import type { ExternalWorkflows } from './external-workflows.js';
import type { Headers } from '../common/interceptors.js';
import type { ChildWorkflowHandle, ChildWorkflowOptions } from './options.js';

interface PendingChild {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly started: Deferred<string>;
  readonly result: Deferred<unknown>;
  runId?: string;
}

type ChildEvents =
  | 'startChildWorkflowExecutionInitiatedEventAttributes'
  | 'startChildWorkflowExecutionFailedEventAttributes'
  | 'childWorkflowExecutionStartedEventAttributes'
  | 'childWorkflowExecutionCompletedEventAttributes'
  | 'childWorkflowExecutionFailedEventAttributes'
  | 'childWorkflowExecutionCanceledEventAttributes'
  | 'childWorkflowExecutionTimedOutEventAttributes'
  | 'childWorkflowExecutionTerminatedEventAttributes';

/** What a child workflow needs from its parent run. */
export interface ChildWorkflowsContext {
  readonly namespace: string;
  readonly taskQueue: string;
  readonly converter: PayloadConverter;
  /** A workflow id from the run's seeded random source. */
  uuid4(): string;
}

/**
 * The run's child workflows: StartChildWorkflowExecution commands, settled by the child's start and close events.
 * Cancelling one asks the server to cancel it (RequestCancelExternal); signalling goes through ExternalWorkflows.
 */
export class ChildWorkflows {
  private seq = 0;
  private readonly pending = new Map<number, PendingChild>();
  private readonly seqByInitiatedEvent = new Map<number, number>();

  constructor(
    private readonly commands: CommandBuffer,
    private readonly externals: ExternalWorkflows,
    private readonly run: ChildWorkflowsContext,
  ) {}

  /** Starts a child workflow; resolves once it started. */
  start(
    workflowType: string,
    args: unknown[],
    options: ChildWorkflowOptions,
    headers: Headers = {},
  ): Promise<ChildWorkflowHandle> {
    const scope = CancellationScope.current();
    const seq = ++this.seq;
    const workflowId = options.workflowId ?? this.run.uuid4();
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const state: PendingChild = { workflowId, workflowType, started: deferred(), result: deferred() };
    state.result.promise.catch(() => undefined);
    const initiated = this.commands.issue(
      startChildWorkflowCommand(
        this.run.converter,
        this.run.namespace,
        workflowId,
        workflowType,
        args,
        {
          ...options,
          taskQueue: options.taskQueue ?? this.run.taskQueue,
        },
        headers,
      ),
      (event) => this.seqByInitiatedEvent.set(toNumber(event.eventId), seq),
    );
    this.pending.set(seq, state);
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.pending.has(seq)) return;
      if (this.commands.unsend(initiated)) {
        this.pending.delete(seq);
        state.started.reject(reason);
        state.result.reject(reason);
        return;
      }
      this.externals.requestCancel(workflowId, state.runId ?? '', true).catch(() => undefined);
    });
    state.result.promise.then(unsubscribe, unsubscribe);
    return handled(
      state.started.promise.then((runId) => ({
        workflowId,
        firstExecutionRunId: runId,
        result: () => state.result.promise,
        signal: (name: string, ...signalArgs: unknown[]) =>
          this.signalChild(workflowId, runId, name, signalArgs),
      })),
    );
  }

  /** Signals a child through the run's outbound `signalWorkflow` interceptors (set by the runtime). */
  signalChild: (workflowId: string, runId: string, name: string, args: unknown[]) => Promise<void> = (
    workflowId,
    runId,
    name,
    args,
  ) => this.externals.signal(workflowId, runId, name, args, true);

  /** Settles the child of `initiatedEventId`; `closed` removes it (its last event). */
  private settle(initiatedEventId: Int64Like, closed: boolean, settle: (state: PendingChild) => void): void {
    const seq = this.seqByInitiatedEvent.get(toNumber(initiatedEventId));
    const state = seq === undefined ? undefined : this.pending.get(seq);
    if (!state || seq === undefined) return;
    if (closed) this.pending.delete(seq);
    settle(state);
  }

  private failed(initiatedEventId: Int64Like, retryState: string, cause: Error): void {
    this.settle(initiatedEventId, true, (s) => {
      const error = new ChildWorkflowFailure(
        'Child workflow execution failed',
        s.workflowType,
        s.workflowId,
        s.runId ?? '',
        retryState,
        cause,
      );
      s.started.reject(error);
      s.result.reject(error);
    });
  }

  eventEntries(): EventEntries<ChildEvents> {
    const c = this.run.converter;
    return {
      startChildWorkflowExecutionInitiatedEventAttributes: recordedCommand,
      startChildWorkflowExecutionFailedEventAttributes: (a) =>
        this.settle(a.initiatedEventId, true, (s) => {
          const error = new ApplicationFailure({
            message: `Child workflow ${s.workflowId} could not be started (workflow id already in use)`,
            type: 'WorkflowExecutionAlreadyStarted',
            nonRetryable: true,
          });
          s.started.reject(error);
          s.result.reject(error);
        }),
      childWorkflowExecutionStartedEventAttributes: (a) =>
        this.settle(a.initiatedEventId, false, (s) => {
          s.runId = a.workflowExecution?.runId ?? '';
          s.started.resolve(s.runId);
        }),
      childWorkflowExecutionCompletedEventAttributes: (a) =>
        this.settle(a.initiatedEventId, true, (s) => s.result.resolve(firstValue(c, a.result))),
      childWorkflowExecutionFailedEventAttributes: (a) =>
        this.failed(a.initiatedEventId, retryStateName(a.retryState), failureToError(a.failure ?? {}, c)),
      childWorkflowExecutionCanceledEventAttributes: (a) =>
        this.failed(
          a.initiatedEventId,
          'NON_RETRYABLE_FAILURE',
          new CancelledFailure('Child workflow cancelled'),
        ),
      childWorkflowExecutionTimedOutEventAttributes: (a) =>
        this.failed(
          a.initiatedEventId,
          retryStateName(a.retryState),
          new TimeoutFailure('Child workflow timed out', 'START_TO_CLOSE'),
        ),
      childWorkflowExecutionTerminatedEventAttributes: (a) =>
        this.failed(a.initiatedEventId, 'NON_RETRYABLE_FAILURE', new TerminatedFailure()),
    };
  }
}
