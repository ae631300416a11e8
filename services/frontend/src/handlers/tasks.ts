import { asReceived, decodeTaskToken, type NamespaceRef, ServiceError, temporal } from '@odin/api';
import { MAX_NAME_LENGTH } from '@odin/persistence';
import type { FrontendDeps, HandlerMap, Req, RpcCall } from '../handler-types.js';
import * as v from '../validate.js';

const TASK_QUEUE_TYPES = temporal.api.enums.v1.TaskQueueType;
const API_MODE_ENHANCED = temporal.api.enums.v1.DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED;

// Worker-facing RPCs: long polls go to matching, task completions to history (queries back to matching).

/** A token is only good in the namespace it was issued for; anything else is a client bug, reported as such. */
function checkToken(
  token: Uint8Array | null | undefined,
  ns: NamespaceRef,
  kind: 'workflow' | 'activity' | 'query',
) {
  v.requireTaskToken(token);
  const decoded = decodeTaskToken(token);
  if (decoded.namespaceId !== ns.id) {
    throw ServiceError.invalidArgument(`TaskToken was issued for another namespace than ${ns.name}.`);
  }
  if (decoded.kind !== kind) {
    throw ServiceError.invalidArgument(
      `TaskToken is a ${decoded.kind} task token; this call needs a ${kind} one.`,
    );
  }
}

/**
 * The TypeScript SDK reads the three activity timeouts of a task as required durations (Temporal always sends
 * them, zero meaning "none"); an unset one would fail the activity before it runs.
 */
function withActivityTimeouts<R extends object>(response: R): R {
  const task = response as {
    taskToken?: Uint8Array | null;
    scheduleToCloseTimeout?: object | null;
    startToCloseTimeout?: object | null;
    heartbeatTimeout?: object | null;
  };
  if (!task.taskToken || task.taskToken.length === 0) return response;
  task.scheduleToCloseTimeout ??= {};
  task.startToCloseTimeout ??= {};
  task.heartbeatTimeout ??= {};
  return response;
}

function validateById(req: {
  workflowId?: string | null;
  runId?: string | null;
  activityId?: string | null;
  identity?: string | null;
}): void {
  v.requireWorkflowId(req.workflowId);
  v.optionalRunId(req.runId);
  v.requireSet(req.activityId, 'ActivityId');
  v.maxIdBytes(req.activityId, 'ActivityId');
  v.optionalIdentity(req.identity);
}

export function taskHandlers(deps: FrontendDeps): HandlerMap {
  const { history, matching, namespaces } = deps;
  const ns = (name: string | null | undefined) => namespaces.resolve(v.requireNamespace(name));

  return {
    async PollWorkflowTaskQueue(req: Req<'PollWorkflowTaskQueueRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireTaskQueue(req.taskQueue);
      v.optionalIdentity(req.identity);
      return matching.pollWorkflowTaskQueue(await ns(req.namespace), asReceived(req), call);
    },

    async PollActivityTaskQueue(req: Req<'PollActivityTaskQueueRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireTaskQueue(req.taskQueue);
      v.optionalIdentity(req.identity);
      return withActivityTimeouts(
        await matching.pollActivityTaskQueue(await ns(req.namespace), asReceived(req), call),
      );
    },

    async RespondWorkflowTaskCompleted(req: Req<'RespondWorkflowTaskCompletedRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'workflow');
      v.optionalIdentity(req.identity);
      const res = await history.respondWorkflowTaskCompleted(namespace, asReceived(req), call);
      // Activities started eagerly reach the worker here instead of through a poll: same shape as a poll's.
      for (const task of res.activityTasks ?? []) withActivityTimeouts(task);
      return res;
    },

    async RespondWorkflowTaskFailed(req: Req<'RespondWorkflowTaskFailedRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'workflow');
      v.optionalIdentity(req.identity);
      return history.respondWorkflowTaskFailed(namespace, asReceived(req), call);
    },

    async RespondQueryTaskCompleted(req: Req<'RespondQueryTaskCompletedRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'query');
      return matching.respondQueryTaskCompleted(namespace, asReceived(req), call);
    },

    async RecordActivityTaskHeartbeat(req: Req<'RecordActivityTaskHeartbeatRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'activity');
      v.optionalIdentity(req.identity);
      return history.recordActivityTaskHeartbeat(namespace, asReceived(req), call);
    },

    async RecordActivityTaskHeartbeatById(req: Req<'RecordActivityTaskHeartbeatByIdRequest'>, call: RpcCall) {
      validateById(req);
      return history.recordActivityTaskHeartbeatById(await ns(req.namespace), asReceived(req), call);
    },

    async RespondActivityTaskCompleted(req: Req<'RespondActivityTaskCompletedRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'activity');
      v.optionalIdentity(req.identity);
      return history.respondActivityTaskCompleted(namespace, asReceived(req), call);
    },

    async RespondActivityTaskCompletedById(
      req: Req<'RespondActivityTaskCompletedByIdRequest'>,
      call: RpcCall,
    ) {
      validateById(req);
      return history.respondActivityTaskCompletedById(await ns(req.namespace), asReceived(req), call);
    },

    async RespondActivityTaskFailed(req: Req<'RespondActivityTaskFailedRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'activity');
      v.optionalIdentity(req.identity);
      return history.respondActivityTaskFailed(namespace, asReceived(req), call);
    },

    async RespondActivityTaskFailedById(req: Req<'RespondActivityTaskFailedByIdRequest'>, call: RpcCall) {
      validateById(req);
      return history.respondActivityTaskFailedById(await ns(req.namespace), asReceived(req), call);
    },

    async RespondActivityTaskCanceled(req: Req<'RespondActivityTaskCanceledRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      checkToken(req.taskToken, namespace, 'activity');
      v.optionalIdentity(req.identity);
      return history.respondActivityTaskCanceled(namespace, asReceived(req), call);
    },

    async RespondActivityTaskCanceledById(req: Req<'RespondActivityTaskCanceledByIdRequest'>, call: RpcCall) {
      validateById(req);
      return history.respondActivityTaskCanceledById(await ns(req.namespace), asReceived(req), call);
    },

    /** The run forgets its worker's cache: the next workflow task goes to the normal queue with full history. */
    async ResetStickyTaskQueue(req: Req<'ResetStickyTaskQueueRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.execution, 'Execution');
      return history.resetStickyTaskQueue(await ns(req.namespace), asReceived(req), call);
    },

    async DescribeTaskQueue(req: Req<'DescribeTaskQueueRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireTaskQueue(req.taskQueue);
      v.enumValue(req.taskQueueType, TASK_QUEUE_TYPES, 'TaskQueueType');
      if (req.apiMode === API_MODE_ENHANCED) {
        throw ServiceError.invalidArgument(
          'DescribeTaskQueue in ENHANCED mode (per build id) needs worker versioning, which Odin does not run.',
        );
      }
      return matching.describeTaskQueue(await ns(req.namespace), req, call);
    },

    /**
     * The worker is leaving: matching forgets its sticky queue (the runs it cached go to the normal queue on their
     * next task) and answers its waiting polls empty, which is what the namespace capability
     * `worker_poll_complete_on_shutdown` promises the SDK.
     */
    async ShutdownWorker(req: Req<'ShutdownWorkerRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.optionalIdentity(req.identity);
      v.maxLength(req.stickyTaskQueue, MAX_NAME_LENGTH, 'StickyTaskQueue');
      return matching.shutdownWorker(await ns(req.namespace), req, call);
    },
  };
}
