import { ServiceError, temporal, toNumber } from '@odin/api';
import type { OutboxTask } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import { terminateInMutation } from '../api/terminateworkflow/handler.js';
import { startRun } from '../api/startworkflow/start-run.js';
import type { HistoryEngine } from '../engine.js';
import { EventType, readTaskData, STARTED_AT_FLUSH } from '../state/history-builder.js';
import type { Mutation } from '../state/history-builder.js';
import { isRunning } from '../state/mutable-state.js';
import type { ChildInfo } from '../state/mutable-state.js';
import { scheduleWorkflowTask } from '../state/workflow-task.js';
import type { HistoryEvent } from '../util/codec.js';

const ParentClosePolicy = temporal.api.enums.v1.ParentClosePolicy;
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

function isCode(error: unknown, code: number): boolean {
  return error instanceof ServiceError && error.code === code;
}

/** Creates the child run of a StartChildWorkflowExecutionInitiated event, then records the outcome in the parent. */
export async function executeStartChild(engine: HistoryEngine, task: OutboxTask): Promise<void> {
  const { initiatedEventId } = readTaskData<{ initiatedEventId: number }>(task);
  let pending: {
    child: ChildInfo;
    attrs: T.api.history.v1.IStartChildWorkflowExecutionInitiatedEventAttributes;
  };
  try {
    const found = await engine.read(task.namespaceId, task.workflowId, task.runId, async (run) => {
      const child = run.ms.children?.[String(initiatedEventId)];
      if (!isRunning(run.ms) || !child || child.runId) return undefined;
      const [event] = await engine.readEvents(run, initiatedEventId, initiatedEventId + 1);
      const attrs = event?.startChildWorkflowExecutionInitiatedEventAttributes;
      return attrs
        ? { child, attrs: attrs as T.api.history.v1.IStartChildWorkflowExecutionInitiatedEventAttributes }
        : undefined;
    });
    if (!found) return;
    pending = found;
  } catch (error) {
    if (isCode(error, NOT_FOUND)) return;
    throw error;
  }
  const { child, attrs } = pending;
  const ns = await engine.namespaceRef(child.namespaceId);
  let childRunId: string | undefined;
  try {
    const outcome = await startRun(engine, ns, {
      workflowId: child.workflowId,
      workflowType: child.workflowType,
      taskQueue: attrs.taskQueue?.name ?? '',
      input: attrs.input,
      header: attrs.header,
      memo: attrs.memo,
      searchAttributes: attrs.searchAttributes,
      executionTimeout: attrs.workflowExecutionTimeout,
      runTimeout: attrs.workflowRunTimeout,
      taskTimeout: attrs.workflowTaskTimeout,
      identity: '',
      // Deterministic, so a re-run of this task finds the child it already created.
      requestId: `child:${task.runId}:${initiatedEventId}`,
      reusePolicy: attrs.workflowIdReusePolicy ?? 0,
      conflictPolicy: 0,
      retryPolicy: attrs.retryPolicy,
      cronSchedule: attrs.cronSchedule,
      parent: {
        namespaceId: task.namespaceId,
        namespace: ns.name,
        workflowId: task.workflowId,
        runId: task.runId,
        initiatedEventId,
      },
    });
    childRunId = outcome.runId;
  } catch (error) {
    if (!isCode(error, ALREADY_EXISTS)) throw error;
  }
  await updateParent(engine, task.namespaceId, task.workflowId, task.runId, (mut) => {
    const info = mut.ms.children?.[String(initiatedEventId)];
    if (!info || info.runId) return;
    if (childRunId) {
      recordChildStarted(mut, info, childRunId);
    } else {
      delete mut.ms.children![String(initiatedEventId)];
      mut.addOrBuffer(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
        startChildWorkflowExecutionFailedEventAttributes: {
          namespace: info.namespace,
          namespaceId: info.namespaceId,
          workflowId: info.workflowId,
          workflowType: { name: info.workflowType },
          cause:
            temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause
              .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
          control: attrs.control ?? '',
          initiatedEventId,
          workflowTaskCompletedEventId: toNumber(attrs.workflowTaskCompletedEventId),
        },
      });
    }
    scheduleWorkflowTask(mut);
  });
}

function recordChildStarted(mut: Mutation, info: ChildInfo, runId: string): void {
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

/** A child run closed: its parent records ChildWorkflowExecution{Completed|Failed|Canceled|TimedOut|Terminated}. */
export async function executeCloseExecution(engine: HistoryEngine, task: OutboxTask): Promise<void> {
  let closed: {
    parent: NonNullable<import('../state/mutable-state.js').MutableState['parent']>;
    event: HistoryEvent;
  };
  try {
    const found = await engine.read(task.namespaceId, task.workflowId, task.runId, async (run) => {
      const ms = run.ms;
      if (!ms.parent || isRunning(ms)) return undefined;
      const [event] = await engine.readEvents(run, ms.completionEventId, ms.completionEventId + 1);
      return event ? { parent: ms.parent, event } : undefined;
    });
    if (!found) return;
    closed = found;
  } catch (error) {
    if (isCode(error, NOT_FOUND)) return;
    throw error;
  }
  const { parent, event } = closed;
  await updateParent(engine, parent.namespaceId, parent.workflowId, parent.runId, (mut) => {
    const info = mut.ms.children?.[String(parent.initiatedEventId)];
    if (!info) return;
    if (!info.runId) recordChildStarted(mut, info, task.runId);
    const common = {
      namespace: info.namespace,
      namespaceId: info.namespaceId,
      workflowExecution: { workflowId: info.workflowId, runId: task.runId },
      workflowType: { name: info.workflowType },
      initiatedEventId: info.initiatedEventId,
      startedEventId: info.startedEventId || STARTED_AT_FLUSH,
    };
    delete mut.ms.children![String(parent.initiatedEventId)];
    const [type, fields] = childCloseEvent(event, common);
    mut.addOrBuffer(type, fields);
    scheduleWorkflowTask(mut);
  });
}

function childCloseEvent(
  event: HistoryEvent,
  common: Record<string, unknown>,
): [T.api.enums.v1.EventType, Partial<HistoryEvent>] {
  if (event.workflowExecutionCompletedEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
      {
        childWorkflowExecutionCompletedEventAttributes: {
          ...common,
          result: event.workflowExecutionCompletedEventAttributes.result ?? null,
        },
      },
    ];
  }
  if (event.workflowExecutionFailedEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
      {
        childWorkflowExecutionFailedEventAttributes: {
          ...common,
          failure: event.workflowExecutionFailedEventAttributes.failure ?? null,
          retryState: event.workflowExecutionFailedEventAttributes.retryState ?? 0,
        },
      },
    ];
  }
  if (event.workflowExecutionCanceledEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
      {
        childWorkflowExecutionCanceledEventAttributes: {
          ...common,
          details: event.workflowExecutionCanceledEventAttributes.details ?? null,
        },
      },
    ];
  }
  if (event.workflowExecutionTimedOutEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
      {
        childWorkflowExecutionTimedOutEventAttributes: {
          ...common,
          retryState: event.workflowExecutionTimedOutEventAttributes.retryState ?? 0,
        },
      },
    ];
  }
  return [
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    { childWorkflowExecutionTerminatedEventAttributes: common },
  ];
}

/** The parent closed: children with TERMINATE are terminated, with REQUEST_CANCEL asked to cancel. */
export async function executeParentClose(engine: HistoryEngine, task: OutboxTask): Promise<void> {
  const { children } = readTaskData<{ children: { workflowId: string; runId: string; policy: number }[] }>(
    task,
  );
  for (const child of children) {
    try {
      await engine.update(task.namespaceId, child.workflowId, child.runId || undefined, (mut) => {
        const ms = mut.ms;
        if (!isRunning(ms) || ms.parent?.runId !== task.runId) return;
        if (child.policy === ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
          if (ms.cancelRequested) return;
          ms.cancelRequested = true;
          mut.addOrBuffer(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
            workflowExecutionCancelRequestedEventAttributes: {
              cause: 'ParentClosePolicy',
              identity: 'history',
            },
          });
          scheduleWorkflowTask(mut);
        } else {
          terminateInMutation(mut, 'by parent close policy', 'history', null);
        }
      });
    } catch (error) {
      if (!isCode(error, NOT_FOUND)) throw error;
    }
  }
}

async function updateParent(
  engine: HistoryEngine,
  namespaceId: string,
  workflowId: string,
  runId: string,
  fn: (mut: Mutation) => void,
): Promise<void> {
  try {
    await engine.update(namespaceId, workflowId, runId, (mut) => {
      if (!isRunning(mut.ms)) return;
      fn(mut);
    });
  } catch (error) {
    if (!isCode(error, NOT_FOUND)) throw error;
  }
}
