import { asReceived, temporal } from '@odin/api';
import type { FrontendDeps, HandlerMap, Req, RpcCall } from '../handler-types.js';
import { checkPostResetOperations } from '../post-reset-operations.js';
import { checkStartSearchAttributes } from '../start-search-attributes.js';
import * as v from '../validate.js';

// Workflow lifecycle RPCs: validate, resolve the namespace, hand to history (which routes to the shard).

const enums = temporal.api.enums.v1;

/** The checks every start request gets (also the start operation of update-with-start). */
export function validateStartFields(
  req: Req<'StartWorkflowExecutionRequest'> | Req<'SignalWithStartWorkflowExecutionRequest'>,
): void {
  v.requireWorkflowId(req.workflowId);
  v.requireTypeName(req.workflowType, 'WorkflowType');
  v.requireTaskQueue(req.taskQueue);
  v.optionalIdentity(req.identity);
  v.optionalRequestId(req.requestId);
  v.nonNegativeDuration(req.workflowExecutionTimeout, 'WorkflowExecutionTimeout');
  v.nonNegativeDuration(req.workflowRunTimeout, 'WorkflowRunTimeout');
  v.nonNegativeDuration(req.workflowTaskTimeout, 'WorkflowTaskTimeout');
  v.nonNegativeDuration(req.workflowStartDelay, 'WorkflowStartDelay');
  v.retryPolicy(req.retryPolicy);
  v.enumValue(req.workflowIdReusePolicy, enums.WorkflowIdReusePolicy, 'WorkflowIdReusePolicy');
  v.enumValue(req.workflowIdConflictPolicy, enums.WorkflowIdConflictPolicy, 'WorkflowIdConflictPolicy');
  if (req.cronSchedule && req.workflowStartDelay && v.hasDuration(req.workflowStartDelay)) {
    throw v.invalid('CronSchedule and WorkflowStartDelay may not be used together.');
  }
}

export function workflowHandlers(deps: FrontendDeps): HandlerMap {
  const { history, namespaces } = deps;
  const ns = (name: string | null | undefined) => namespaces.resolve(v.requireNamespace(name));

  return {
    async StartWorkflowExecution(req: Req<'StartWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      validateStartFields(req);
      const ownRequestId = Boolean(req.requestId);
      if (!ownRequestId) req.requestId = deps.ctx.random.uuid();
      const namespace = await namespaces.resolveForStart(v.requireNamespace(req.namespace));
      const rewritten = await checkStartSearchAttributes(deps.searchAttributes, namespace, req);
      return history.startWorkflowExecution(
        namespace,
        ownRequestId && !rewritten ? asReceived(req) : req,
        call,
      );
    },

    async SignalWithStartWorkflowExecution(
      req: Req<'SignalWithStartWorkflowExecutionRequest'>,
      call: RpcCall,
    ) {
      v.requireNamespace(req.namespace);
      validateStartFields(req);
      v.requireSet(req.signalName, 'SignalName');
      v.maxIdBytes(req.signalName, 'SignalName');
      const ownRequestId = Boolean(req.requestId);
      if (!ownRequestId) req.requestId = deps.ctx.random.uuid();
      const namespace = await namespaces.resolveForStart(v.requireNamespace(req.namespace));
      const rewritten = await checkStartSearchAttributes(deps.searchAttributes, namespace, req);
      const forwarded = ownRequestId && !rewritten ? asReceived(req) : req;
      return history.signalWithStartWorkflowExecution(namespace, forwarded, call);
    },

    async SignalWorkflowExecution(req: Req<'SignalWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.workflowExecution);
      v.requireSet(req.signalName, 'SignalName');
      v.maxIdBytes(req.signalName, 'SignalName');
      v.optionalIdentity(req.identity);
      v.optionalRequestId(req.requestId);
      if (req.requestId) asReceived(req);
      else req.requestId = deps.ctx.random.uuid();
      return history.signalWorkflowExecution(await ns(req.namespace), req, call);
    },

    async RequestCancelWorkflowExecution(req: Req<'RequestCancelWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.workflowExecution);
      v.optionalRunId(req.firstExecutionRunId, 'FirstExecutionRunId');
      v.optionalIdentity(req.identity);
      v.optionalRequestId(req.requestId);
      return history.requestCancelWorkflowExecution(await ns(req.namespace), asReceived(req), call);
    },

    async TerminateWorkflowExecution(req: Req<'TerminateWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.workflowExecution);
      v.optionalRunId(req.firstExecutionRunId, 'FirstExecutionRunId');
      v.optionalIdentity(req.identity);
      return history.terminateWorkflowExecution(await ns(req.namespace), asReceived(req), call);
    },

    async DescribeWorkflowExecution(req: Req<'DescribeWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.execution, 'Execution');
      return history.describeWorkflowExecution(await ns(req.namespace), asReceived(req), call);
    },

    async GetWorkflowExecutionHistory(req: Req<'GetWorkflowExecutionHistoryRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.execution, 'Execution');
      v.pageSize(req.maximumPageSize, 'MaximumPageSize');
      v.enumValue(req.historyEventFilterType, enums.HistoryEventFilterType, 'HistoryEventFilterType');
      return history.getWorkflowExecutionHistory(await ns(req.namespace), asReceived(req), call);
    },

    async ResetWorkflowExecution(req: Req<'ResetWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.workflowExecution);
      v.optionalRequestId(req.requestId);
      v.maxIdBytes(req.reason, 'Reason');
      v.enumValue(req.resetReapplyType, enums.ResetReapplyType, 'ResetReapplyType');
      for (const type of req.resetReapplyExcludeTypes ?? []) {
        v.enumValue(type, enums.ResetReapplyExcludeType, 'ResetReapplyExcludeTypes');
      }
      checkPostResetOperations(req.postResetOperations);
      if (!req.requestId) req.requestId = deps.ctx.random.uuid();
      return history.resetWorkflowExecution(await ns(req.namespace), req, call);
    },

    async DeleteWorkflowExecution(req: Req<'DeleteWorkflowExecutionRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.workflowExecution);
      return history.deleteWorkflowExecution(await ns(req.namespace), asReceived(req), call);
    },

    async GetWorkflowExecutionHistoryReverse(
      req: Req<'GetWorkflowExecutionHistoryReverseRequest'>,
      call: RpcCall,
    ) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.execution, 'Execution');
      v.pageSize(req.maximumPageSize, 'MaximumPageSize');
      return history.getWorkflowExecutionHistoryReverse(await ns(req.namespace), asReceived(req), call);
    },

    async QueryWorkflow(req: Req<'QueryWorkflowRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      v.requireExecution(req.execution, 'Execution');
      v.requireSet(req.query?.queryType, 'Query.QueryType');
      v.maxIdBytes(req.query?.queryType, 'Query.QueryType');
      v.enumValue(req.queryRejectCondition, enums.QueryRejectCondition, 'QueryRejectCondition');
      return history.queryWorkflow(await ns(req.namespace), asReceived(req), call);
    },
  };
}
