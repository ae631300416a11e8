import { msToDuration, msToTimestamp, ServiceError, temporal } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { HistoryEngine } from '../../engine.js';
import { rootOf } from '../../state/mutable-state.js';
import { decodeFailure, decodeMemo, decodePayloads, decodeSearchAttributes } from '../../util/codec.js';
import { asProto } from '../../util/proto.js';
import type { Loose } from '../../util/proto.js';

const PendingState = temporal.api.enums.v1.PendingActivityState;

export async function describeWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'DescribeWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'DescribeWorkflowExecutionResponse'>> {
  const workflowId = req.execution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('Execution.WorkflowId is not set on the request.');
  return engine.read(ns.id, workflowId, req.execution?.runId, (run) => {
    const ms = run.ms;
    const taskQueue = {
      name: ms.taskQueue,
      kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    };
    const pendingActivities: Loose<T.api.workflow.v1.IPendingActivityInfo>[] = Object.values(
      ms.activities,
    ).map((ai) => ({
      activityId: ai.activityId,
      activityType: { name: ai.activityType },
      state: ai.cancelRequested
        ? PendingState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
        : ai.phase === 'started'
          ? PendingState.PENDING_ACTIVITY_STATE_STARTED
          : PendingState.PENDING_ACTIVITY_STATE_SCHEDULED,
      heartbeatDetails: decodePayloads(ai.heartbeatDetails) ?? null,
      lastHeartbeatTime: ai.lastHeartbeatTime ? msToTimestamp(ai.lastHeartbeatTime) : null,
      lastStartedTime: ai.startedTime ? msToTimestamp(ai.startedTime) : null,
      attempt: ai.attempt,
      maximumAttempts: ai.retry.maximumAttempts,
      scheduledTime: msToTimestamp(ai.currentAttemptScheduledTime),
      expirationTime:
        ai.scheduleToCloseMs > 0 ? msToTimestamp(ai.scheduledTime + ai.scheduleToCloseMs) : null,
      lastFailure: decodeFailure(ai.lastFailure) ?? null,
      lastWorkerIdentity: ai.lastWorkerIdentity,
    }));
    const wft = ms.workflowTask;
    return asProto<Res<'DescribeWorkflowExecutionResponse'>>({
      executionConfig: {
        taskQueue,
        workflowExecutionTimeout: msToDuration(ms.executionTimeoutMs),
        workflowRunTimeout: msToDuration(ms.runTimeoutMs),
        defaultWorkflowTaskTimeout: msToDuration(ms.workflowTaskTimeoutMs),
      },
      workflowExecutionInfo: {
        execution: { workflowId: ms.workflowId, runId: ms.runId },
        type: { name: ms.workflowType },
        startTime: msToTimestamp(ms.startTime),
        closeTime: ms.closeTime ? msToTimestamp(ms.closeTime) : null,
        status: ms.status,
        historyLength: ms.nextEventId - 1,
        executionTime: msToTimestamp(ms.executionTime),
        memo: decodeMemo(ms.memo) ?? { fields: {} },
        searchAttributes: decodeSearchAttributes(ms.searchAttributes) ?? { indexedFields: {} },
        taskQueue: ms.taskQueue,
        stateTransitionCount: ms.stateVersion,
        historySizeBytes: ms.historySizeBytes,
        executionDuration: ms.closeTime ? msToDuration(ms.closeTime - ms.startTime) : null,
        firstRunId: ms.firstExecutionRunId,
        ...(ms.parent
          ? {
              parentNamespaceId: ms.parent.namespaceId,
              parentExecution: { workflowId: ms.parent.workflowId, runId: ms.parent.runId },
            }
          : {}),
        rootExecution: rootOf(ms),
      },
      pendingActivities,
      // Children still open: a child that closed left the map when its completion was recorded.
      pendingChildren: Object.values(ms.children ?? {}).map((child) => ({
        workflowId: child.workflowId,
        runId: child.runId,
        workflowTypeName: child.workflowType,
        initiatedId: child.initiatedEventId,
        parentClosePolicy: child.parentClosePolicy,
      })),
      pendingWorkflowTask: wft
        ? {
            state: wft.startedEventId > 0 ? 2 : 1,
            scheduledTime: msToTimestamp(wft.scheduledTime),
            originalScheduledTime: msToTimestamp(wft.scheduledTime),
            startedTime: wft.startedTime ? msToTimestamp(wft.startedTime) : null,
            attempt: wft.attempt,
          }
        : null,
    });
  });
}
