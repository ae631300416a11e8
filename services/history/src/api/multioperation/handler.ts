import { status as grpcStatus } from '@grpc/grpc-js';
import { ServiceError, temporal } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { clientStartParams, validateStart } from '../../state/new-run.js';
import type { StartParams } from '../../state/new-run.js';
import { decideStart } from '../../state/start.js';
import { completedOutcome, UpdateStage, updateInfo } from '../../state/updates.js';
import type { UpdateOutcome, UpdateRequest } from '../../state/updates.js';
import { isAbortedByClosingWorkflow, READMIT } from '../../updates.js';
import type { Admission, LiveUpdate, UpdateStatus } from '../../updates.js';
import { asProto } from '../../util/proto.js';

type Response = Res<'ExecuteMultiOperationResponse'>;

const ConflictPolicy = temporal.api.enums.v1.WorkflowIdConflictPolicy;
const RUNNING = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

/** Every failure of this call, as Temporal words its top-level message (the SDKs read the per-operation ones). */
const FAILED = 'Update-with-Start could not be executed.';

/** A failure of the update operation inside a transition that was started for the start operation. */
class UpdateRefused extends Error {
  constructor(readonly error: unknown) {
    super('update refused');
  }
}

/** How the call began: the run the update went to, and the update's outcome or the live update to wait on. */
interface Begun {
  readonly started: boolean;
  readonly runId: string;
  readonly status: number;
  readonly outcome?: UpdateOutcome;
  readonly update?: LiveUpdate;
}

/**
 * ExecuteMultiOperation, which Temporal allows only as update-with-start: [StartWorkflow, UpdateWorkflow] of one
 * workflow. An update this workflow's current run already completed is answered with its outcome (the start says
 * which run, not started). Otherwise the update goes to the running run when the start is a retry of the one that
 * started it, when that run already has the update, or when the start's conflict policy is USE_EXISTING; else the
 * workflow is started (the start's id-conflict and id-reuse policies apply: FAIL answers ALREADY_EXISTS,
 * TERMINATE_EXISTING replaces the running run) and the update is admitted in the same transaction, to ride on the
 * new run's first workflow task. Then the call waits for the update as UpdateWorkflowExecution does.
 */
export async function executeMultiOperation(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'ExecuteMultiOperationRequest'>,
  ctx: CallContext,
): Promise<Response> {
  const operations = req.operations ?? [];
  const startReq = operations[0]?.startWorkflow;
  const updateReq = operations[1]?.updateWorkflow;
  if (operations.length !== 2 || !startReq || !updateReq) {
    throw ServiceError.invalidArgument('Operations have to be exactly [Start, Update].');
  }
  const params: StartParams = { ...clientStartParams(startReq, engine.uuid), eager: false };
  try {
    validateStart(params);
  } catch (error) {
    throw ServiceError.multiOperation(FAILED, [asServiceError(error), 'aborted']);
  }
  const updateId = updateReq.request?.meta?.updateId ?? '';
  if (!updateId) {
    const missing = ServiceError.invalidArgument('Update meta.update_id is not set on the request.');
    throw ServiceError.multiOperation(FAILED, ['aborted', missing]);
  }
  const stage =
    updateReq.waitPolicy?.lifecycleStage ?? UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
  const softDeadline = engine.now() + engine.options.historyLongPollMs;
  const call = { engine, ns, params, updateId, request: updateReq.request };
  for (let closingRetries = 0; ; closingRetries++) {
    const begun = await begin(call);
    const respond = (status: UpdateStatus) => response(begun, params.workflowId, updateId, status);
    if (begun.outcome) return respond({ stage: COMPLETED, outcome: begun.outcome });
    const update = begun.update!;
    let status: UpdateStatus | typeof READMIT;
    try {
      status = await engine.updates.wait(update, stage, {
        softDeadline,
        deadline: ctx.deadline,
        signal: ctx.signal,
      });
    } catch (error) {
      // The run the update went to closed before a worker accepted it: start a new one (once), as Temporal does.
      if (!begun.started && closingRetries === 0 && isAbortedByClosingWorkflow(error)) continue;
      throw ServiceError.multiOperation(FAILED, [begun.started ? null : 'aborted', asServiceError(error)]);
    }
    if (status === READMIT) {
      const error = update.error ?? ServiceError.unavailable('workflow update was aborted');
      throw ServiceError.multiOperation(FAILED, [begun.started ? null : 'aborted', error]);
    }
    return respond(status);
  }
}

const COMPLETED = UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;

interface Call {
  readonly engine: HistoryEngine;
  readonly ns: NamespaceRef;
  readonly params: StartParams;
  readonly updateId: string;
  readonly request: UpdateRequest | null | undefined;
}

/** Sends the update to the current run, or starts the workflow with it. */
async function begin(call: Call): Promise<Begun> {
  for (;;) {
    const existing = await onCurrentRun(call);
    if (existing) return existing;
    const started = await startWithUpdate(call);
    if (started) return started;
    // A run appeared between the two transactions (USE_EXISTING on a concurrent start): go to it.
  }
}

/** The update on the workflow's current run, when that is where it belongs (see executeMultiOperation). */
async function onCurrentRun(call: Call): Promise<Begun | undefined> {
  const { engine, ns, params, updateId } = call;
  try {
    return await engine.update(ns.id, params.workflowId, '', async (mut, run) => {
      const ms = mut.ms;
      const info = updateInfo(ms, updateId);
      const base = { started: false, runId: ms.runId, status: ms.status };
      if (info?.completedEventId) {
        const read = (from: number, to: number) => engine.readEvents(run, from, to);
        return { ...base, outcome: await completedOutcome(read, info.completedEventId) };
      }
      if (!isRunning(ms)) return undefined;
      const attach =
        params.requestId === ms.createRequestId ||
        engine.updates.find(ms, updateId) !== undefined ||
        params.conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING;
      if (!attach) return undefined;
      return { ...base, ...admitted(admitOrRefuse(() => engine.updates.admit(mut, updateId, call.request))) };
    });
  } catch (error) {
    if (error instanceof UpdateRefused)
      throw ServiceError.multiOperation(FAILED, ['aborted', asServiceError(error.error)]);
    // No run of this workflow yet: start it.
    if (error instanceof ServiceError && error.code === grpcStatus.NOT_FOUND) return undefined;
    throw ServiceError.multiOperation(FAILED, [asServiceError(error), 'aborted']);
  }
}

/** Starts the workflow with the update admitted on its first transition; undefined when another run is current. */
async function startWithUpdate(call: Call): Promise<Begun | undefined> {
  const { engine, ns, params, updateId } = call;
  try {
    const result = await engine.create(ns.id, params.workflowId, async (scope) => {
      const creation = await decideStart(scope, ns.id, params);
      const outcome = creation.result;
      if (outcome.kind === 'existing') {
        if (outcome.running) return { result: undefined };
        throw ServiceError.unavailable('Workflow was not started: this start request already ran.');
      }
      const admission = admitOrRefuse(() => engine.updates.admit(outcome.first, updateId, call.request));
      const begun: Begun = { started: true, runId: outcome.runId, status: RUNNING, ...admitted(admission) };
      return { result: begun, ...(creation.create ? { create: creation.create } : {}) };
    });
    return result;
  } catch (error) {
    if (error instanceof UpdateRefused)
      throw ServiceError.multiOperation(FAILED, ['aborted', asServiceError(error.error)]);
    throw ServiceError.multiOperation(FAILED, [asServiceError(error), 'aborted']);
  }
}

function admitOrRefuse(admit: () => Admission): Admission {
  try {
    return admit();
  } catch (error) {
    throw new UpdateRefused(error);
  }
}

function admitted(admission: Admission): { outcome?: UpdateOutcome; update?: LiveUpdate } {
  switch (admission.kind) {
    case 'live':
      return { update: admission.update };
    case 'closed-accepted':
      return { outcome: admission.outcome };
    case 'completed':
      // Admission on a running run answers a completed update before it gets here (see onCurrentRun).
      throw new Error('a completed update reached admission');
  }
}

function response(begun: Begun, workflowId: string, updateId: string, status: UpdateStatus): Response {
  return asProto<Response>({
    responses: [
      { startWorkflow: { runId: begun.runId, started: begun.started, status: begun.status } },
      {
        updateWorkflow: {
          updateRef: { workflowExecution: { workflowId, runId: begun.runId }, updateId },
          ...status,
        },
      },
    ],
  });
}

function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  throw error;
}
