import { status } from '@grpc/grpc-js';
import { ServiceError, temporal } from '@odin/api';
import type { FrontendDeps, HandlerMap, Req, RpcCall } from '../handler-types.js';
import * as v from '../validate.js';
import { checkStartSearchAttributes } from '../start-search-attributes.js';
import { validateStartFields } from './workflow.js';

// Workflow Update RPCs: validate as Temporal's frontend does, resolve the namespace, hand to history (routed to the
// owner of the workflow's shard, which holds the run's updates).

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/** The top-level message of every update-with-start failure; the SDKs report the failing operation's own status. */
const MULTI_OPERATION_FAILED = 'Update-with-Start could not be executed.';

type UpdateRequest = Req<'UpdateWorkflowExecutionRequest'>;

/**
 * The checks of an update request, with Temporal's defaults filled in: an update id when the caller gave none, and
 * the COMPLETED stage when it asked for none. Waiting for ADMITTED only is refused (PERMISSION_DENIED, as Temporal
 * does): an admitted update is not durable, so its caller could not count on it.
 */
function prepareUpdate(req: UpdateRequest, newId: () => string): void {
  v.requireExecution(req.workflowExecution);
  v.optionalRunId(req.firstExecutionRunId, 'FirstExecutionRunId');
  const meta = req.request?.meta;
  if (!meta) throw v.invalid('Request.Meta is not set on the request: an update needs its meta (update id).');
  v.maxIdBytes(meta.updateId, 'Request.Meta.UpdateId');
  v.optionalIdentity(meta.identity);
  if (!meta.updateId) meta.updateId = newId();
  const input = req.request?.input;
  if (!input)
    throw v.invalid('Request.Input is not set on the request: an update needs its input (name, args).');
  v.requireSet(input.name, 'Request.Input.Name');
  v.maxIdBytes(input.name, 'Request.Input.Name');
  req.waitPolicy ??= {};
  v.enumValue(req.waitPolicy.lifecycleStage, Stage, 'WaitPolicy.LifecycleStage');
  if (!req.waitPolicy.lifecycleStage) {
    req.waitPolicy.lifecycleStage = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
  }
  if (req.waitPolicy.lifecycleStage === Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
    throw new ServiceError(
      status.PERMISSION_DENIED,
      'UpdateWorkflowExecution cannot wait for the ADMITTED stage only: wait for ACCEPTED or COMPLETED.',
      { typeName: 'temporal.api.errordetails.v1.PermissionDeniedFailure', value: { reason: '' } },
    );
  }
}

/** Runs `check`; its ServiceError is the operation's status in a multi-operation failure. */
function operationError(check: () => void): ServiceError | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
}

export function updateHandlers(deps: FrontendDeps): HandlerMap {
  const { history, namespaces } = deps;
  const newId = () => deps.ctx.random.uuid();

  return {
    async UpdateWorkflowExecution(req: UpdateRequest, call: RpcCall) {
      v.requireNamespace(req.namespace);
      prepareUpdate(req, newId);
      return history.updateWorkflowExecution(await namespaces.resolve(req.namespace!), req, call);
    },

    async PollWorkflowExecutionUpdate(req: Req<'PollWorkflowExecutionUpdateRequest'>, call: RpcCall) {
      v.requireNamespace(req.namespace);
      if (!req.updateRef) throw v.invalid('UpdateRef is not set on the request.');
      v.requireExecution(req.updateRef.workflowExecution, 'UpdateRef.WorkflowExecution');
      v.requireSet(req.updateRef.updateId, 'UpdateRef.UpdateId');
      v.optionalIdentity(req.identity);
      req.waitPolicy ??= {};
      v.enumValue(req.waitPolicy.lifecycleStage, Stage, 'WaitPolicy.LifecycleStage');
      return history.pollWorkflowExecutionUpdate(await namespaces.resolve(req.namespace!), req, call);
    },

    /**
     * Update-with-start, the only multi-operation Temporal serves: exactly [StartWorkflow, UpdateWorkflow] for one
     * workflow. Each operation is checked as its own RPC is, plus what update-with-start rules out (cron, eager
     * start, start delay; a run id on the update). A refused operation fails the call with a
     * MultiOperationExecutionFailure: its own status, ABORTED for the other.
     */
    async ExecuteMultiOperation(req: Req<'ExecuteMultiOperationRequest'>, call: RpcCall) {
      const namespace = v.requireNamespace(req.namespace);
      const operations = req.operations ?? [];
      const start = operations[0]?.startWorkflow;
      const update = operations[1]?.updateWorkflow;
      if (operations.length !== 2 || !start || !update) {
        throw v.invalid('Operations have to be exactly [Start, Update].');
      }
      const sameNamespace = (ns: string | null | undefined) => {
        if (ns && ns !== namespace) throw v.invalid("Operation namespace did not match request's namespace.");
      };
      const startError = operationError(() => {
        sameNamespace(start.namespace);
        validateStartFields(start);
        if (start.cronSchedule) throw v.invalid('CronSchedule is not allowed in update-with-start.');
        if (start.requestEagerExecution)
          throw v.invalid('RequestEagerExecution is not supported in update-with-start.');
        if (v.hasDuration(start.workflowStartDelay)) {
          throw v.invalid('WorkflowStartDelay is not supported in update-with-start.');
        }
        if (!start.requestId) start.requestId = newId();
      });
      const updateError = operationError(() => {
        sameNamespace(update.namespace);
        prepareUpdate(update, newId);
        if (update.firstExecutionRunId)
          throw v.invalid('FirstExecutionRunId is not allowed in update-with-start.');
        if (update.workflowExecution?.runId) throw v.invalid('RunId is not allowed in update-with-start.');
        if (!startError && update.workflowExecution?.workflowId !== start.workflowId) {
          throw v.invalid('WorkflowId is not consistent with previous operation(s).');
        }
      });
      if (startError || updateError) {
        throw ServiceError.multiOperation(MULTI_OPERATION_FAILED, [
          startError ?? 'aborted',
          updateError ?? 'aborted',
        ]);
      }
      const resolved = await namespaces.resolve(namespace);
      // The start's search attributes meet the same registry as a plain start's (unregistered or system ones refused).
      try {
        await checkStartSearchAttributes(deps.searchAttributes, resolved, start);
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        throw ServiceError.multiOperation(MULTI_OPERATION_FAILED, [error, 'aborted']);
      }
      return history.executeMultiOperation(resolved, req, call);
    },
  };
}
