import { decodeTaskToken, ServiceError } from '@odin/api';
import type { NamespaceRef, TaskToken } from '@odin/api';
import type { Mutation } from './history-builder.js';
import { isRunning } from './mutable-state.js';
import type { ActivityInfo, WorkflowTaskInfo } from './mutable-state.js';

export type WorkflowToken = Extract<TaskToken, { kind: 'workflow' }>;

/** The workflow task token of a completion or failure, checked against the caller's namespace. */
export function workflowToken(ns: NamespaceRef, bytes: Uint8Array | null | undefined): WorkflowToken {
  const token = decodeTaskToken(bytes);
  if (token.kind !== 'workflow')
    throw ServiceError.invalidArgument('Task token is not a workflow task token.');
  if (token.namespaceId !== ns.id)
    throw ServiceError.invalidArgument('Task token belongs to another namespace.');
  return token;
}

/** The started workflow task the token names, or NOT_FOUND (stale token: the worker evicts and moves on). */
export function currentWorkflowTask(mut: Mutation, token: WorkflowToken): WorkflowTaskInfo {
  const ms = mut.ms;
  const wft = ms.workflowTask;
  if (
    !isRunning(ms) ||
    !wft ||
    wft.startedEventId === 0 ||
    wft.scheduledEventId !== token.scheduledEventId ||
    wft.startedEventId !== token.startedEventId ||
    wft.attempt !== token.attempt ||
    (token.startRequestId !== undefined && token.startRequestId !== wft.requestId)
  ) {
    throw ServiceError.notFound('Workflow task not found.');
  }
  return wft;
}

/** Which activity attempt a request names: a task token, or (…ById) workflow + activity id. */
export interface ActivityTarget {
  workflowId: string;
  runId: string;
  scheduledEventId?: number;
  activityId?: string;
  attempt?: number;
}

export function targetFromToken(ns: NamespaceRef, bytes: Uint8Array | null | undefined): ActivityTarget {
  const token = decodeTaskToken(bytes);
  if (token.kind !== 'activity')
    throw ServiceError.invalidArgument('Task token is not an activity task token.');
  if (token.namespaceId !== ns.id)
    throw ServiceError.invalidArgument('Task token belongs to another namespace.');
  return {
    workflowId: token.workflowId,
    runId: token.runId,
    scheduledEventId: token.scheduledEventId,
    attempt: token.attempt,
  };
}

export function targetById(req: {
  workflowId?: string | null;
  runId?: string | null;
  activityId?: string | null;
}): ActivityTarget {
  if (!req.workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  if (!req.activityId) throw ServiceError.invalidArgument('ActivityId is not set on the request.');
  return { workflowId: req.workflowId, runId: req.runId ?? '', activityId: req.activityId };
}

/** The started attempt the target names, or NOT_FOUND (completed, retried, timed out, or the run closed). */
export function startedActivity(mut: Mutation, target: ActivityTarget): ActivityInfo {
  const ms = mut.ms;
  if (!isRunning(ms))
    throw ServiceError.notFound('Activity task not found: the workflow execution is closed.');
  let ai: ActivityInfo | undefined;
  if (target.scheduledEventId !== undefined) {
    ai = ms.activities[String(target.scheduledEventId)];
  } else {
    ai = Object.values(ms.activities).find((a) => a.activityId === target.activityId);
  }
  if (!ai || (target.attempt !== undefined && ai.attempt !== target.attempt) || ai.phase !== 'started') {
    throw ServiceError.notFound('Activity task not found.');
  }
  return ai;
}
