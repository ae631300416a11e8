import { status } from '@grpc/grpc-js';
import { msToTimestamp, ServiceError, temporal } from '@odin/api';
import {
  BatchOperationAlreadyExistsError,
  type BatchOperationRecord,
  BatchOperationVersionConflictError,
} from '@odin/persistence';
import type { FrontendDeps, HandlerMap, Req } from '../handler-types.js';
import { checkPostResetOperations } from '../post-reset-operations.js';
import * as v from '../validate.js';
import { visibilityHandlers } from './visibility.js';

const State = temporal.api.enums.v1.BatchOperationState;
const Type = temporal.api.enums.v1.BatchOperationType;
const StartRequest = temporal.api.workflowservice.v1.StartBatchOperationRequest;
const CAUSE_CONCURRENT_LIMIT =
  temporal.api.enums.v1.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT;
const SCOPE_NAMESPACE = temporal.api.enums.v1.ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE;
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
/** Explicit executions one job takes at most (a query-selected job is capped by the runner). */
const MAX_EXECUTIONS = 10_000;
/** Characters of a reason kept in the row (a TEXT column on MySQL holds 64 KiB). */
const MAX_REASON_LENGTH = 10_000;

/**
 * A reset's target: the first or last workflow task, an event id, or the first workflow task a build id completed;
 * its post-reset operations are checked as ResetWorkflowExecution checks them, so a job that cannot apply them is
 * refused at once rather than failing on every execution.
 */
function checkReset(op: NonNullable<Req<'StartBatchOperationRequest'>['resetOperation']>): void {
  checkPostResetOperations(op.postResetOperations);
  const o = op.options;
  if (o) {
    // Unset scalars decode as 0: an event id of 0 is no event id.
    const taskId = Number(o.workflowTaskId ?? 0);
    if (taskId < 0) throw v.invalid('Batch reset workflow_task_id must be positive.');
    if (o.buildId != null) v.maxIdBytes(o.buildId, 'BuildId');
    if (o.firstWorkflowTask == null && o.lastWorkflowTask == null && taskId === 0 && !o.buildId)
      throw v.invalid('batch reset missing target');
    return;
  }
  const ResetType = temporal.api.enums.v1.ResetType;
  if (
    op.resetType !== ResetType.RESET_TYPE_FIRST_WORKFLOW_TASK &&
    op.resetType !== ResetType.RESET_TYPE_LAST_WORKFLOW_TASK
  )
    throw v.invalid(`unknown batch reset type ${op.resetType ?? 0}`);
}

/** The job's operation and its identity. */
function operationOf(req: Req<'StartBatchOperationRequest'>): { type: number; identity: string } {
  const chosen = [
    req.terminationOperation && { type: Type.BATCH_OPERATION_TYPE_TERMINATE, op: req.terminationOperation },
    req.cancellationOperation && { type: Type.BATCH_OPERATION_TYPE_CANCEL, op: req.cancellationOperation },
    req.signalOperation && { type: Type.BATCH_OPERATION_TYPE_SIGNAL, op: req.signalOperation },
    req.deletionOperation && { type: Type.BATCH_OPERATION_TYPE_DELETE, op: req.deletionOperation },
    req.resetOperation && { type: Type.BATCH_OPERATION_TYPE_RESET, op: req.resetOperation },
  ].filter((c) => !!c);
  if (chosen.length === 0) throw v.invalid('Batch operation type is not set.');
  if (chosen.length > 1) throw v.invalid('Only one batch operation can be set.');
  const { type, op } = chosen[0]!;
  if (type === Type.BATCH_OPERATION_TYPE_SIGNAL && !req.signalOperation?.signal)
    throw v.invalid('SignalName is not set on the signal operation.');
  if (req.resetOperation) checkReset(req.resetOperation);
  v.optionalIdentity(op.identity);
  return { type, identity: op.identity ?? '' };
}

function info(record: BatchOperationRecord) {
  return {
    jobId: record.jobId,
    state: record.state,
    startTime: msToTimestamp(record.startTime),
    closeTime: record.closeTime === null ? null : msToTimestamp(record.closeTime),
    operationType: record.operationType,
  };
}

// Batch operations: the frontend validates and writes the job's row; the batch runner of the system worker
// (services/worker/src/batch) does the work and keeps the row's state and counters.
export function batchHandlers(deps: FrontendDeps): HandlerMap {
  const { namespaces, ctx } = deps;
  const store = ctx.store.batchOperations;
  const list = visibilityHandlers(deps).ListWorkflowExecutions!;
  const ns = (name: string | null | undefined) => namespaces.resolve(v.requireNamespace(name));

  const get = async (namespace: { id: string }, jobId: string | null | undefined) => {
    const id = v.requireSet(jobId, 'JobId');
    const record = await store.getBatchOperation(namespace.id, id);
    if (!record) throw ServiceError.notFound(`batch operation ${id} not found`);
    return record;
  };

  return {
    async StartBatchOperation(req: Req<'StartBatchOperationRequest'>, call) {
      const jobId = v.requireSet(req.jobId, 'JobId');
      v.maxIdBytes(jobId, 'JobId');
      const reason = v.requireSet(req.reason, 'Reason');
      v.maxLength(reason, MAX_REASON_LENGTH, 'Reason');
      const { type, identity } = operationOf(req);
      const hasQuery = !!req.visibilityQuery?.trim();
      const executions = req.executions ?? [];
      if (hasQuery === executions.length > 0)
        throw v.invalid('Exactly one of VisibilityQuery and Executions must be set.');
      if (executions.length > MAX_EXECUTIONS)
        throw v.invalid(`Executions has ${executions.length} entries, more than ${MAX_EXECUTIONS}.`);
      for (const e of executions) {
        v.requireWorkflowId(e.workflowId);
        v.optionalRunId(e.runId);
      }
      const namespace = await ns(req.namespace);
      // A query that is not valid is refused now, not when the worker gets to it.
      if (hasQuery) await list({ namespace: namespace.name, query: req.visibilityQuery, pageSize: 1 }, call);
      // Temporal's limit on a namespace's running jobs. Counted, not reserved: two starts at the same moment may
      // both pass, as with Temporal's count through visibility.
      const maxRunning = ctx.config.maxConcurrentBatchOperations;
      if (
        maxRunning > 0 &&
        (await store.countBatchOperationsInState(namespace.id, State.BATCH_OPERATION_STATE_RUNNING)) >=
          maxRunning
      )
        throw ServiceError.resourceExhausted(
          'Max concurrent batch operations is reached',
          CAUSE_CONCURRENT_LIMIT,
          SCOPE_NAMESPACE,
        );
      try {
        await store.createBatchOperation({
          namespaceId: namespace.id,
          jobId,
          operationType: type,
          request: StartRequest.encode(req).finish(),
          state: State.BATCH_OPERATION_STATE_RUNNING,
          identity,
          reason,
          startTime: ctx.clock.now(),
          closeTime: null,
          totalCount: 0,
          completeCount: 0,
          failureCount: 0,
          progress: null,
        });
      } catch (error) {
        if (error instanceof BatchOperationAlreadyExistsError)
          throw new ServiceError(status.ALREADY_EXISTS, `batch operation ${jobId} already exists`);
        throw error;
      }
      return {};
    },

    async DescribeBatchOperation(req: Req<'DescribeBatchOperationRequest'>) {
      const record = await get(await ns(req.namespace), req.jobId);
      const request = StartRequest.decode(record.request);
      return {
        ...info(record),
        totalOperationCount: record.totalCount,
        completeOperationCount: record.completeCount,
        failureOperationCount: record.failureCount,
        identity: record.identity,
        reason: record.reason,
        query: request.visibilityQuery ?? '',
      };
    },

    async ListBatchOperations(req: Req<'ListBatchOperationsRequest'>) {
      v.pageSize(req.pageSize);
      const namespace = await ns(req.namespace);
      const pageToken = req.nextPageToken?.length
        ? Buffer.from(req.nextPageToken).toString('utf8')
        : undefined;
      const page = await store.listBatchOperations(namespace.id, {
        pageSize:
          req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE,
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      return {
        operationInfo: page.items.map(info),
        nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'utf8') : Buffer.alloc(0),
      };
    },

    // A stopped job ends FAILED, as Temporal reports a batch job it terminated; the runner's next write loses its
    // compare-and-set and leaves the job alone.
    async StopBatchOperation(req: Req<'StopBatchOperationRequest'>) {
      v.requireSet(req.reason, 'Reason');
      v.optionalIdentity(req.identity);
      const namespace = await ns(req.namespace);
      for (let attempt = 0; attempt < 5; attempt++) {
        const record = await get(namespace, req.jobId);
        if (record.state !== State.BATCH_OPERATION_STATE_RUNNING)
          throw ServiceError.notFound(`batch operation ${record.jobId} is not running`);
        const { request: _request, version, ...rest } = record;
        try {
          await store.updateBatchOperation(
            { ...rest, state: State.BATCH_OPERATION_STATE_FAILED, closeTime: ctx.clock.now() },
            version,
          );
          return {};
        } catch (error) {
          // The runner wrote meanwhile: read again.
          if (!(error instanceof BatchOperationVersionConflictError)) throw error;
        }
      }
      throw ServiceError.unavailable('batch operation kept changing; retry the call.');
    },
  };
}
