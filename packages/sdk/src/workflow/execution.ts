import { HugoError, isResult } from '@odin/hugo';
import type { Workflow } from '../common/definitions.js';
import { ApplicationFailure, CancelledFailure, TemporalFailure } from '../common/failure.js';
import { fromPayloads, type PayloadConverter } from '../common/payload.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import { type CancellationScope, isCancellation, scopeStorage } from './cancellation-scope.js';
import type { CommandBuffer } from './command-buffer.js';
import {
  cancelWorkflowCommand,
  completeWorkflowCommand,
  continueAsNewCommand,
  failWorkflowCommand,
  upsertSearchAttributesCommand,
} from './command-builders.js';
import { ContinueAsNew, IllegalStateError } from './errors.js';
import { type EventEntries, noAction, recordedCommand } from './event-table.js';
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import type { WorkflowInboundCallsInterceptor } from './interceptors.js';
import type { ContinueAsNewOptions, WorkflowRegistry } from './options.js';
import type { WorkflowInfo } from './workflow-info.js';

type ExecutionEvents =
  | 'workflowExecutionStartedEventAttributes'
  | 'workflowExecutionCancelRequestedEventAttributes'
  | 'workflowExecutionCompletedEventAttributes'
  | 'workflowExecutionFailedEventAttributes'
  | 'workflowExecutionCanceledEventAttributes'
  | 'workflowExecutionContinuedAsNewEventAttributes'
  | 'workflowExecutionTimedOutEventAttributes'
  | 'workflowExecutionTerminatedEventAttributes'
  | 'upsertWorkflowSearchAttributesEventAttributes'
  | 'workflowPropertiesModifiedEventAttributes'
  | 'workflowPropertiesModifiedExternallyEventAttributes'
  | 'workflowExecutionOptionsUpdatedEventAttributes'
  | 'workflowExecutionPausedEventAttributes'
  | 'workflowExecutionUnpausedEventAttributes'
  | 'workflowExecutionTimeSkippingTransitionedEventAttributes';

const nothingForWorkflowCode = noAction(
  'the server changed how it runs the workflow; workflow code sees nothing of it',
);

/**
 * The run's own execution: starting the workflow function, its cancel request, and how it ends — complete, fail,
 * cancel or continue as new — or, for a bug in workflow code, a failed workflow task instead.
 */
export class Execution {
  /** A bug in the workflow code: the task fails (and is retried) instead of the workflow. */
  taskFailure: unknown;

  constructor(
    private readonly commands: CommandBuffer,
    private readonly converter: PayloadConverter,
    private readonly info: WorkflowInfo,
    private readonly workflows: WorkflowRegistry,
    private readonly rootScope: CancellationScope,
    private readonly interceptors: {
      /** Makes the run's interceptors (workflow code: runs when the workflow starts). */
      prepare(): void;
      inbound(): readonly WorkflowInboundCallsInterceptor[];
    },
  ) {}

  /** Fails the workflow task (once): later failures and commands of the activation do not count. */
  failTask(error: unknown): void {
    if (this.taskFailure === undefined) this.taskFailure = error;
  }

  /** How a failure escaping workflow code ends: continue-as-new, cancel, fail the workflow, or fail the task. */
  failWith(error: unknown): void {
    if (this.commands.completed || this.taskFailure !== undefined) return;
    if (error instanceof ContinueAsNew) {
      this.commands.issue(error.command);
    } else if (isCancellation(error) && this.rootScope.consideredCancelled) {
      this.commands.issue(cancelWorkflowCommand());
    } else if (isWorkflowFailure(error)) {
      this.commands.issue(failWorkflowCommand(this.converter, error));
    } else {
      this.taskFailure = error ?? new Error('Workflow code threw undefined');
    }
  }

  private completeWith(value: unknown): void {
    if (this.commands.completed) return;
    if (isResult(value)) {
      if (!value.ok) {
        this.failWith(ApplicationFailure.fromHugoError(value.error, true));
        return;
      }
      value = value.value;
    }
    this.commands.issue(completeWorkflowCommand(this.converter, value));
  }

  private start(input: IHistoryEvent['workflowExecutionStartedEventAttributes']): void {
    const fn = this.workflows[this.info.workflowType];
    if (typeof fn !== 'function') {
      const known = Object.keys(this.workflows).filter((k) => typeof this.workflows[k] === 'function');
      this.taskFailure = new IllegalStateError(
        `Workflow type "${this.info.workflowType}" is not registered on this worker; known types: ${known.join(', ') || '(none)'}`,
      );
      return;
    }
    const args = fromPayloads(this.converter, input?.input);
    let outcome: Promise<unknown>;
    try {
      outcome = scopeStorage.run(this.rootScope, () => {
        this.interceptors.prepare();
        const execute = composeInterceptors(this.interceptors.inbound(), 'execute', (call) =>
          Promise.resolve((fn as Workflow)(...call.args)),
        );
        return execute({ args, headers: input?.header?.fields ?? {} });
      });
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (value) => this.completeWith(value),
      (error: unknown) => this.failWith(error),
    );
  }

  /** The error `continueAsNew` throws: the ContinueAsNewWorkflowExecution command, issued when it escapes. */
  continueAsNew(
    workflowType: string,
    args: unknown[],
    options: ContinueAsNewOptions,
    headers: Headers = {},
  ): ContinueAsNew {
    return new ContinueAsNew(
      continueAsNewCommand(this.converter, workflowType, args, headers, {
        ...options,
        taskQueue: options.taskQueue ?? this.info.taskQueue,
        workflowRunTimeout: options.workflowRunTimeout ?? this.info.runTimeoutMs,
        workflowTaskTimeout: options.workflowTaskTimeout ?? this.info.taskTimeoutMs,
      }),
    );
  }

  upsertSearchAttributes(values: Record<string, unknown>): void {
    this.commands.issue(upsertSearchAttributesCommand(this.converter, values));
    Object.assign(this.info.searchAttributes, values);
  }

  eventEntries(): EventEntries<ExecutionEvents> {
    return {
      workflowExecutionStartedEventAttributes: (a) => this.start(a),
      workflowExecutionCancelRequestedEventAttributes: () =>
        this.rootScope.cancel(new CancelledFailure('Workflow cancellation requested')),
      workflowExecutionCompletedEventAttributes: recordedCommand,
      workflowExecutionFailedEventAttributes: recordedCommand,
      workflowExecutionCanceledEventAttributes: recordedCommand,
      workflowExecutionContinuedAsNewEventAttributes: recordedCommand,
      workflowExecutionTimedOutEventAttributes: noAction('closes the run: no workflow task follows it'),
      workflowExecutionTerminatedEventAttributes: noAction('closes the run: no workflow task follows it'),
      upsertWorkflowSearchAttributesEventAttributes: recordedCommand,
      workflowPropertiesModifiedEventAttributes: recordedCommand,
      workflowPropertiesModifiedExternallyEventAttributes: noAction(
        'an operator changed properties (memo, timeouts) that workflowInfo() reads from the start event only',
      ),
      workflowExecutionOptionsUpdatedEventAttributes: nothingForWorkflowCode,
      workflowExecutionPausedEventAttributes: nothingForWorkflowCode,
      workflowExecutionUnpausedEventAttributes: nothingForWorkflowCode,
      workflowExecutionTimeSkippingTransitionedEventAttributes: nothingForWorkflowCode,
    };
  }
}

const FAILURE_NAMES = new Set([
  'TemporalFailure',
  'ApplicationFailure',
  'CancelledFailure',
  'TimeoutFailure',
  'TerminatedFailure',
  'ServerFailure',
  'ActivityFailure',
  'ChildWorkflowFailure',
]);

/** Failures that fail the workflow; by class, or by name when workflow code loaded another copy of the SDK. */
export function isWorkflowFailure(error: unknown): boolean {
  if (error instanceof TemporalFailure || error instanceof HugoError) return true;
  return error instanceof Error && (FAILURE_NAMES.has(error.name) || error.constructor?.name === 'HugoError');
}
