import { temporal, toNumber } from '@odin/api';
import type { OutboxTask } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import type { HistoryEngine } from '../engine.js';
import { recordChildStarted } from '../state/children.js';
import { EventType, readTaskData } from '../state/history-builder.js';
import type { Mutation } from '../state/history-builder.js';
import { isRunning, rootOf } from '../state/mutable-state.js';
import type { ChildInfo, ParentInfo } from '../state/mutable-state.js';
import { scheduleWorkflowTask } from '../state/workflow-task.js';
import type { HistoryEvent } from '../util/codec.js';
import { asProto } from '../util/proto.js';
import { isCode, peerCallContext } from './peer-call.js';
import type { PeerTaskContext } from './peer-call.js';

const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/**
 * Has the child run of a StartChildWorkflowExecutionInitiated event created (by the owner of the child's shard),
 * then records the outcome in the parent.
 */
export async function executeStartChild(peer: PeerTaskContext, task: OutboxTask): Promise<void> {
  const { engine, peers } = peer;
  const { initiatedEventId } = readTaskData<{ initiatedEventId: number }>(task);
  let pending: {
    child: ChildInfo;
    attrs: T.api.history.v1.IStartChildWorkflowExecutionInitiatedEventAttributes;
    root: { workflowId: string; runId: string };
  };
  try {
    const found = await engine.read(task.namespaceId, task.workflowId, task.runId, async (run) => {
      const child = run.ms.children?.[String(initiatedEventId)];
      if (!isRunning(run.ms) || !child || child.runId) return undefined;
      const [event] = await engine.readEvents(run, initiatedEventId, initiatedEventId + 1);
      const attrs = event?.startChildWorkflowExecutionInitiatedEventAttributes;
      return attrs
        ? {
            child,
            attrs: attrs as T.api.history.v1.IStartChildWorkflowExecutionInitiatedEventAttributes,
            root: rootOf(run.ms),
          }
        : undefined;
    });
    if (!found) return;
    pending = found;
  } catch (error) {
    if (isCode(error, NOT_FOUND)) return;
    throw error;
  }
  const { child, attrs, root } = pending;
  const [childNs, parentNs] = await Promise.all([
    engine.names.ref(child.namespaceId),
    engine.names.ref(task.namespaceId),
  ]);
  let childRunId: string | undefined;
  try {
    const started = await peers.startChildExecution(
      childNs,
      {
        parent: {
          namespaceId: task.namespaceId,
          namespace: parentNs.name,
          workflowId: task.workflowId,
          runId: task.runId,
          initiatedEventId,
          rootWorkflowId: root.workflowId,
          rootRunId: root.runId,
        },
        // Deterministic, so a re-run of this task finds the child it already created.
        requestId: `child:${task.runId}:${initiatedEventId}`,
        attributes: attrs,
      },
      peerCallContext(peer),
    );
    childRunId = started.runId;
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

/** A child run closed: the owner of its parent's shard records the child's close event in the parent. */
export async function executeCloseExecution(peer: PeerTaskContext, task: OutboxTask): Promise<void> {
  const { engine, peers } = peer;
  let closed: { parent: ParentInfo; event: HistoryEvent };
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
  await peers.recordChildExecutionCompleted(
    await engine.names.ref(parent.namespaceId),
    {
      parentWorkflowId: parent.workflowId,
      parentRunId: parent.runId,
      initiatedEventId: parent.initiatedEventId,
      childRunId: task.runId,
      completionEvent: asProto<T.api.history.v1.IHistoryEvent>(event),
    },
    peerCallContext(peer),
  );
}

/** The parent closed: children with TERMINATE are terminated, with REQUEST_CANCEL asked to cancel. */
export async function executeParentClose(peer: PeerTaskContext, task: OutboxTask): Promise<void> {
  const { engine, peers } = peer;
  const { children } = readTaskData<{ children: { workflowId: string; runId: string; policy: number }[] }>(
    task,
  );
  // Children live in the parent's namespace.
  const ns = await engine.names.ref(task.namespaceId);
  for (const child of children) {
    try {
      await peers.applyParentClosePolicy(
        ns,
        { workflowId: child.workflowId, runId: child.runId, parentRunId: task.runId, policy: child.policy },
        peerCallContext(peer),
      );
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
