import { type Int64Like, timestampToMs, toNumber } from '@odin/api/public';
import { firstValue, fromPayloadMap, type PayloadConverter } from '../common/payload.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import { IllegalStateError } from './errors.js';

export interface WorkflowInfo {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  firstExecutionRunId: string;
  originalExecutionRunId: string;
  continuedFromExecutionRunId: string | undefined;
  attempt: number;
  cronSchedule: string | undefined;
  executionTimeoutMs: number | undefined;
  runTimeoutMs: number | undefined;
  taskTimeoutMs: number | undefined;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  parent: { workflowId: string; runId: string; namespace: string } | undefined;
  /** Epoch ms of WorkflowExecutionStarted. */
  startTime: number;
  /** Events up to the current workflow task's WorkflowTaskStarted. */
  historyLength: number;
  lastCompletionResult: unknown;
}

/** What the worker knows of a run before reading its history (an empty type is taken from the history). */
export interface RunIdentity {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
}

/** The run's facts from its WorkflowExecutionStarted event, which a history must begin with. */
export function workflowInfoOf(
  base: RunIdentity,
  history: readonly IHistoryEvent[],
  converter: PayloadConverter,
): WorkflowInfo {
  const started = history[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new IllegalStateError('A workflow history must begin with WorkflowExecutionStarted');
  return {
    namespace: base.namespace,
    workflowId: base.workflowId,
    runId: base.runId,
    workflowType: base.workflowType || started.workflowType?.name || '',
    taskQueue: started.taskQueue?.name ?? '',
    firstExecutionRunId: started.firstExecutionRunId || base.runId,
    originalExecutionRunId: started.originalExecutionRunId || base.runId,
    continuedFromExecutionRunId: started.continuedExecutionRunId || undefined,
    attempt: started.attempt || 1,
    cronSchedule: started.cronSchedule || undefined,
    executionTimeoutMs: positiveMs(started.workflowExecutionTimeout),
    runTimeoutMs: positiveMs(started.workflowRunTimeout),
    taskTimeoutMs: positiveMs(started.workflowTaskTimeout),
    memo: fromPayloadMap(converter, started.memo?.fields),
    searchAttributes: fromPayloadMap(converter, started.searchAttributes?.indexedFields),
    parent: started.parentWorkflowExecution?.workflowId
      ? {
          workflowId: started.parentWorkflowExecution.workflowId,
          runId: started.parentWorkflowExecution.runId ?? '',
          namespace: started.parentWorkflowNamespace ?? base.namespace,
        }
      : undefined,
    startTime: timestampToMs(history[0]?.eventTime) ?? 0,
    historyLength: 0,
    lastCompletionResult: started.lastCompletionResult
      ? firstValue(converter, started.lastCompletionResult)
      : undefined,
  };
}

/** A google.protobuf.Duration in ms; undefined when unset or zero (Temporal's "no timeout"). */
function positiveMs(
  d: { seconds?: Int64Like; nanos?: number | null } | null | undefined,
): number | undefined {
  if (!d) return undefined;
  const ms = toNumber(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}
