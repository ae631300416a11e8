import { msToTimestamp, temporal, toNumber, durationToMs } from '@odin/api/public';
import type { WorkflowRegistry } from '../workflow/options.js';
import {
  defaultPayloadConverter,
  firstValue,
  fromPayloads,
  type PayloadConverter,
  toPayloads,
} from '../common/payload.js';
import { errorToFailure, failureToError } from '../common/failure.js';
import type { ICommand, IHistoryEvent, IPayloads } from '../common/proto-types.js';
import { activatorStorage } from '../workflow/activator.js';
import { runWorkflowTask, type WorkflowTaskOutcome } from '../workflow/task-runner.js';
import { systemClock } from '@odin/hugo';
import { localActivityExecutor } from '../worker/local-activity-executor.js';
import { type SimulatedUpdate, SimulatedUpdates } from './simulated-updates.js';

const EventType = temporal.api.enums.v1.EventType;
const CommandType = temporal.api.enums.v1.CommandType;

// biome-ignore lint/suspicious/noExplicitAny: activity signatures are the author's.
export type ActivityImplementations = Readonly<Record<string, (...args: any[]) => unknown>>;

export interface WorkflowSimulatorOptions {
  workflows: WorkflowRegistry;
  activities?: ActivityImplementations;
  /** Epoch ms of the first event; 2026-01-01 by default. */
  startTime?: number;
  taskQueue?: string;
  namespace?: string;
  converter?: PayloadConverter;
}

export type SimulatedStatus = 'running' | 'completed' | 'failed' | 'canceled' | 'continued-as-new';

interface PendingActivity {
  scheduledEventId: number;
  activityType: string;
  input: IPayloads | null | undefined;
}

/**
 * Runs one workflow without a server: it plays the server's part (turns commands into history events, runs
 * activities in process, fires timers by jumping virtual time forward) so workflow code and its histories can be
 * tested in milliseconds. The history it builds is a valid Temporal history, so it can be replayed.
 */
export class WorkflowSimulator {
  readonly history: IHistoryEvent[] = [];
  now: number;
  status: SimulatedStatus = 'running';
  /** The last workflow task's outcome (commands, queries, errors). */
  lastOutcome: WorkflowTaskOutcome | undefined;
  private readonly converter: PayloadConverter;
  private readonly timers = new Map<string, { firesAt: number }>();
  private readonly activities: PendingActivity[] = [];
  private readonly taskQueue: string;
  private readonly namespace: string;
  private workflowTaskNeeded = false;
  private closeEvent: IHistoryEvent | undefined;
  private readonly updates: SimulatedUpdates;
  /** The history's length when the last task's commands were written: nothing new arrived while it still is. */
  private lengthAfterTask = -1;
  readonly workflowId: string;
  readonly runId: string;
  private readonly workflowType: string;

  constructor(
    private readonly options: WorkflowSimulatorOptions,
    workflowType: string,
    args: unknown[] = [],
    ids: { workflowId?: string; runId?: string } = {},
  ) {
    this.now = options.startTime ?? Date.UTC(2026, 0, 1);
    this.converter = options.converter ?? defaultPayloadConverter;
    this.updates = new SimulatedUpdates(this.converter);
    this.taskQueue = options.taskQueue ?? 'simulated';
    this.namespace = options.namespace ?? 'default';
    this.workflowId = ids.workflowId ?? 'simulated-workflow';
    this.runId = ids.runId ?? '00000000-0000-4000-8000-000000000001';
    this.workflowType = workflowType;
    this.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: workflowType },
        taskQueue: { name: this.taskQueue },
        input: toPayloads(this.converter, args) ?? null,
        workflowTaskTimeout: { seconds: 10 },
        originalExecutionRunId: this.runId,
        firstExecutionRunId: this.runId,
        attempt: 1,
      },
    });
    this.workflowTaskNeeded = true;
  }

  private append(eventType: number, attributes: Record<string, unknown>): number {
    const eventId = this.history.length + 1;
    this.history.push({
      eventId,
      eventTime: msToTimestamp(this.now),
      eventType,
      ...attributes,
    } as unknown as IHistoryEvent);
    return eventId;
  }

  signal(name: string, ...args: unknown[]): void {
    this.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: {
        signalName: name,
        input: toPayloads(this.converter, args) ?? null,
      },
    });
    this.workflowTaskNeeded = true;
  }

  /** Sends an update; the next workflow task validates and runs it (`run()`), then its state and result show. */
  update<T = unknown>(name: string, ...args: unknown[]): SimulatedUpdate<T> {
    this.workflowTaskNeeded = true;
    return this.updates.request<T>(name, args);
  }

  requestCancel(): void {
    this.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      workflowExecutionCancelRequestedEventAttributes: { cause: 'test' },
    });
    this.workflowTaskNeeded = true;
  }

  /** Answers a query against the workflow's state as of the last completed task. */
  async query(name: string, ...args: unknown[]): Promise<unknown> {
    const outcome = await runWorkflowTask({
      namespace: this.namespace,
      workflowId: this.workflowId,
      runId: this.runId,
      history: this.history,
      workflows: this.options.workflows,
      converter: this.converter,
      queries: [{ id: 'q', queryType: name, args: toPayloads(this.converter, args) ?? null }],
    });
    const answer = outcome.queryResults.get('q');
    if (!answer) throw new Error('query was not answered');
    if (!answer.ok) throw new Error(answer.message);
    return firstValue(this.converter, answer.answer);
  }

  /**
   * Runs workflow tasks, activities and timers until the workflow closes or waits on something only the test
   * can provide (a signal). Timers fire by moving virtual time unless `fireTimers` is false; `maxSteps` bounds
   * runaway workflows.
   */
  async run(options: { maxSteps?: number; fireTimers?: boolean } = {}): Promise<SimulatedStatus> {
    const maxSteps = options.maxSteps ?? 1000;
    for (let step = 0; step < maxSteps && this.status === 'running'; step++) {
      if (this.workflowTaskNeeded) {
        await this.workflowTask();
        continue;
      }
      if (this.activities.length > 0) {
        await this.runActivities();
        continue;
      }
      const next = [...this.timers.entries()].sort((a, b) => a[1].firesAt - b[1].firesAt)[0];
      if (next && options.fireTimers !== false) {
        this.now = Math.max(this.now, next[1].firesAt);
        this.timers.delete(next[0]);
        this.append(EventType.EVENT_TYPE_TIMER_FIRED, {
          timerFiredEventAttributes: { timerId: next[0], startedEventId: 0 },
        });
        this.workflowTaskNeeded = true;
        continue;
      }
      break;
    }
    return this.status;
  }

  /** The workflow's result; throws the failure when it failed. */
  result<T = unknown>(): T {
    const event = this.closeEvent;
    if (!event) throw new Error(`Workflow has not closed (status ${this.status})`);
    if (event.workflowExecutionCompletedEventAttributes) {
      return firstValue<T>(this.converter, event.workflowExecutionCompletedEventAttributes.result);
    }
    if (event.workflowExecutionFailedEventAttributes) {
      throw failureToError(event.workflowExecutionFailedEventAttributes.failure ?? {}, this.converter);
    }
    throw new Error(`Workflow closed as ${this.status}`);
  }

  private async workflowTask(): Promise<void> {
    this.workflowTaskNeeded = false;
    const quiet = this.history.length === this.lengthAfterTask;
    const scheduled = this.append(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: { taskQueue: { name: this.taskQueue }, attempt: 1 },
    });
    const started = this.append(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: { scheduledEventId: scheduled },
    });
    const outcome = await runWorkflowTask({
      namespace: this.namespace,
      workflowId: this.workflowId,
      runId: this.runId,
      workflowType: this.workflowType,
      history: this.history,
      workflows: this.options.workflows,
      converter: this.converter,
      updates: this.updates.takeRequests(started),
      // Local activities run in process, like ordinary ones here, on real time.
      localActivities: localActivityExecutor({
        activities: this.options.activities ?? {},
        converter: this.converter,
        clock: systemClock,
      }),
    });
    this.lastOutcome = outcome;
    if (outcome.nondeterminism) throw outcome.nondeterminism;
    if (outcome.taskFailure !== undefined) throw outcome.taskFailure;
    this.updates.applyRejections(outcome.messages);
    if (quiet && this.updates.onlyRejected(outcome)) {
      // A task that only rejected updates leaves no trace (the server discards it).
      this.history.length = scheduled - 1;
      return;
    }
    this.append(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: { scheduledEventId: scheduled, startedEventId: started },
    });
    for (const command of outcome.commands) {
      if (command.commandType === CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) {
        this.updates.applyCommand(command, outcome.messages, (type, attributes) =>
          this.append(type, attributes),
        );
      } else this.applyCommand(command);
    }
    this.lengthAfterTask = this.history.length;
  }

  private applyCommand(command: ICommand): void {
    switch (command.commandType) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const a = command.scheduleActivityTaskCommandAttributes!;
        const id = this.append(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
          activityTaskScheduledEventAttributes: {
            activityId: a.activityId,
            activityType: a.activityType,
            taskQueue: a.taskQueue,
            input: a.input,
          },
        });
        this.activities.push({
          scheduledEventId: id,
          activityType: a.activityType?.name ?? '',
          input: a.input,
        });
        return;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const scheduledEventId = toNumber(
          command.requestCancelActivityTaskCommandAttributes?.scheduledEventId,
        );
        this.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
          activityTaskCancelRequestedEventAttributes: { scheduledEventId },
        });
        const index = this.activities.findIndex((p) => p.scheduledEventId === scheduledEventId);
        if (index >= 0) {
          this.activities.splice(index, 1);
          this.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
            activityTaskCanceledEventAttributes: { scheduledEventId },
          });
          this.workflowTaskNeeded = true;
        }
        return;
      }
      case CommandType.COMMAND_TYPE_START_TIMER: {
        const a = command.startTimerCommandAttributes!;
        this.append(EventType.EVENT_TYPE_TIMER_STARTED, {
          timerStartedEventAttributes: { timerId: a.timerId, startToFireTimeout: a.startToFireTimeout },
        });
        this.timers.set(a.timerId ?? '', {
          firesAt: this.now + (durationToMs(a.startToFireTimeout as never) ?? 0),
        });
        return;
      }
      case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
        const timerId = command.cancelTimerCommandAttributes?.timerId ?? '';
        this.append(EventType.EVENT_TYPE_TIMER_CANCELED, { timerCanceledEventAttributes: { timerId } });
        this.timers.delete(timerId);
        return;
      }
      case CommandType.COMMAND_TYPE_RECORD_MARKER: {
        const a = command.recordMarkerCommandAttributes!;
        this.append(EventType.EVENT_TYPE_MARKER_RECORDED, {
          markerRecordedEventAttributes: {
            markerName: a.markerName,
            details: a.details,
            failure: a.failure ?? null,
          },
        });
        return;
      }
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        this.append(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
          upsertWorkflowSearchAttributesEventAttributes: {
            searchAttributes: command.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes,
          },
        });
        return;
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        this.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'completed', {
          workflowExecutionCompletedEventAttributes: {
            result: command.completeWorkflowExecutionCommandAttributes?.result,
          },
        });
        return;
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        this.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'failed', {
          workflowExecutionFailedEventAttributes: {
            failure: command.failWorkflowExecutionCommandAttributes?.failure,
          },
        });
        return;
      case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        this.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'canceled', {
          workflowExecutionCanceledEventAttributes: {},
        });
        return;
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        this.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'continued-as-new', {
          workflowExecutionContinuedAsNewEventAttributes: {
            newExecutionRunId: 'continued',
            workflowType: command.continueAsNewWorkflowExecutionCommandAttributes?.workflowType,
            input: command.continueAsNewWorkflowExecutionCommandAttributes?.input,
          },
        });
        return;
      default:
        throw new Error(`The simulator does not support command type ${command.commandType}`);
    }
  }

  private close(eventType: number, status: SimulatedStatus, attributes: Record<string, unknown>): void {
    this.append(eventType, attributes);
    this.closeEvent = this.history[this.history.length - 1];
    this.status = status;
  }

  private async runActivities(): Promise<void> {
    const batch = this.activities.splice(0);
    for (const activity of batch) {
      this.append(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
        activityTaskStartedEventAttributes: { scheduledEventId: activity.scheduledEventId, attempt: 1 },
      });
      const fn = this.options.activities?.[activity.activityType];
      try {
        if (!fn) throw new Error(`Activity ${activity.activityType} is not registered with the simulator`);
        const args = fromPayloads(this.converter, activity.input);
        // Activities run outside any workflow: real time and randomness.
        const value = await activatorStorage.exit(() => Promise.resolve(fn(...args)));
        this.append(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
          activityTaskCompletedEventAttributes: {
            scheduledEventId: activity.scheduledEventId,
            result: toPayloads(this.converter, [value]) ?? null,
          },
        });
      } catch (error) {
        this.append(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
          activityTaskFailedEventAttributes: {
            scheduledEventId: activity.scheduledEventId,
            failure: errorToFailure(error, this.converter),
            retryState: temporal.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
          },
        });
      }
    }
    this.workflowTaskNeeded = true;
  }
}
