import { temporal } from '@odin/api';
import type { OutboxTask } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import { EventType, readTaskData } from '../state/history-builder.js';
import type { Mutation } from '../state/history-builder.js';
import { isRunning } from '../state/mutable-state.js';
import { scheduleWorkflowTask } from '../state/workflow-task.js';
import type { HistoryEvent } from '../util/codec.js';
import { isCode, peerCallContext } from './peer-call.js';
import type { PeerTaskContext } from './peer-call.js';

const NOT_FOUND = 5;

type Initiated = NonNullable<
  | HistoryEvent['signalExternalWorkflowExecutionInitiatedEventAttributes']
  | HistoryEvent['requestCancelExternalWorkflowExecutionInitiatedEventAttributes']
>;

/**
 * Delivers a workflow's SignalExternal / RequestCancelExternal command to its target (through the owner of the
 * target's shard), then records the outcome in the source (…Signaled / …CancelRequested, or …Failed when the target
 * is gone). Delivery is deduplicated (the signal's request id and the cancel flag), so re-running the task is safe.
 */
export async function executeExternal(peer: PeerTaskContext, task: OutboxTask): Promise<void> {
  const { engine, peers } = peer;
  const { initiatedEventId } = readTaskData<{ initiatedEventId: number }>(task);
  const kind = task.taskType === 'signal-external' ? 'signal' : 'cancel';
  let attrs: Initiated | undefined;
  try {
    attrs = await engine.read(task.namespaceId, task.workflowId, task.runId, async (run) => {
      if (!isRunning(run.ms) || run.ms.pendingExternal?.[String(initiatedEventId)] !== kind) return undefined;
      const [event] = await engine.readEvents(run, initiatedEventId, initiatedEventId + 1);
      return (
        event?.signalExternalWorkflowExecutionInitiatedEventAttributes ??
        event?.requestCancelExternalWorkflowExecutionInitiatedEventAttributes ??
        undefined
      );
    });
  } catch (error) {
    if (isCode(error, NOT_FOUND)) return;
    throw error;
  }
  if (!attrs) return;
  const target = attrs.workflowExecution ?? {};
  const signalAttrs = attrs as T.api.history.v1.ISignalExternalWorkflowExecutionInitiatedEventAttributes;
  const cancelAttrs =
    attrs as T.api.history.v1.IRequestCancelExternalWorkflowExecutionInitiatedEventAttributes;
  let delivered = true;
  try {
    await peers.deliverExternal(
      await engine.names.ref(attrs.namespaceId || task.namespaceId),
      {
        kind,
        targetWorkflowId: target.workflowId ?? '',
        targetRunId: target.runId ?? '',
        sourceWorkflowId: task.workflowId,
        sourceRunId: task.runId,
        initiatedEventId,
        childWorkflowOnly: attrs.childWorkflowOnly ?? false,
        ...(kind === 'signal'
          ? {
              signalName: signalAttrs.signalName ?? '',
              input: signalAttrs.input ?? null,
              header: signalAttrs.header ?? null,
            }
          : { reason: cancelAttrs.reason ?? '' }),
      },
      peerCallContext(peer),
    );
  } catch (error) {
    if (!isCode(error, NOT_FOUND)) throw error;
    delivered = false;
  }
  try {
    await engine.update(task.namespaceId, task.workflowId, task.runId, (mut) =>
      recordOutcome(mut, kind, initiatedEventId, attrs, delivered),
    );
  } catch (error) {
    if (!isCode(error, NOT_FOUND)) throw error;
  }
}

function recordOutcome(
  mut: Mutation,
  kind: 'signal' | 'cancel',
  initiatedEventId: number,
  attrs: Initiated,
  delivered: boolean,
): void {
  const ms = mut.ms;
  if (!isRunning(ms) || ms.pendingExternal?.[String(initiatedEventId)] !== kind) return;
  delete ms.pendingExternal[String(initiatedEventId)];
  const common = {
    namespace: attrs.namespace ?? '',
    namespaceId: attrs.namespaceId ?? '',
    workflowExecution: attrs.workflowExecution ?? null,
    initiatedEventId,
  };
  const failedCommon = { ...common, workflowTaskCompletedEventId: attrs.workflowTaskCompletedEventId ?? 0 };
  if (kind === 'signal') {
    const control =
      (attrs as T.api.history.v1.ISignalExternalWorkflowExecutionInitiatedEventAttributes).control ?? '';
    if (delivered) {
      mut.addOrBuffer(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
        externalWorkflowExecutionSignaledEventAttributes: { ...common, control },
      });
    } else {
      mut.addOrBuffer(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
        signalExternalWorkflowExecutionFailedEventAttributes: {
          ...failedCommon,
          control,
          cause:
            temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause
              .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
        },
      });
    }
  } else if (delivered) {
    mut.addOrBuffer(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
      externalWorkflowExecutionCancelRequestedEventAttributes: common,
    });
  } else {
    mut.addOrBuffer(EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
      requestCancelExternalWorkflowExecutionFailedEventAttributes: {
        ...failedCommon,
        control:
          (attrs as T.api.history.v1.IRequestCancelExternalWorkflowExecutionInitiatedEventAttributes)
            .control ?? '',
        cause:
          temporal.api.enums.v1.CancelExternalWorkflowExecutionFailedCause
            .CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
      },
    });
  }
  scheduleWorkflowTask(mut);
}
