// Workflow updates from the client: UpdateWorkflowExecution with a wait stage, PollWorkflowExecutionUpdate for the
// outcome, and update-with-start through ExecuteMultiOperation ([StartWorkflow, UpdateWorkflow]).
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { temporal } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import type { UpdateDefinition } from '../common/definitions.js';
import { failureToError, type TemporalFailure } from '../common/failure.js';
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import { firstValue, type PayloadConverter, toPayloads } from '../common/payload.js';
import type { CodecCalls } from '../codec/codec-calls.js';
import { LONG_POLL_TIMEOUT_MS } from './connection.js';
import { ServiceCallError, WorkflowExecutionAlreadyStartedError } from './errors.js';
import type {
  WorkflowClientInterceptor,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
} from './interceptors.js';
import type { WorkflowStartOptions } from './start-options.js';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/** How long `startUpdate` waits: until the workflow accepted (or rejected) the update, or until it completed. */
export type WorkflowUpdateStage = 'ACCEPTED' | 'COMPLETED';

const stageValue: Record<WorkflowUpdateStage, number> = {
  ACCEPTED: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED,
  COMPLETED: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
};

/** The update failed: its validator rejected it, or its handler threw. `cause` is the failure. */
export class WorkflowUpdateFailedError extends Error {
  constructor(
    message: string,
    override readonly cause: TemporalFailure,
  ) {
    super(message, { cause });
    this.name = 'WorkflowUpdateFailedError';
  }
}

export interface UpdateOptions<Args extends unknown[] = unknown[]> {
  args?: Args;
  /** Identifies the update (a fresh UUID by default): sending it again with the same id reaches the same update. */
  updateId?: string;
  signal?: AbortSignal;
}

export interface StartUpdateOptions<Args extends unknown[] = unknown[]> extends UpdateOptions<Args> {
  waitForStage: WorkflowUpdateStage;
}

type UpdateOutcome = proto.api.update.v1.IOutcome;

/** What the update client needs from its WorkflowClient. */
export interface UpdateClientContext {
  readonly calls: CodecCalls;
  readonly namespace: string;
  readonly identity: string;
  readonly converter: PayloadConverter;
  readonly interceptors: readonly WorkflowClientInterceptor[];
  mapError(error: unknown, workflowId: string, runId?: string, workflowType?: string): unknown;
  startRequest(
    workflowType: string,
    options: WorkflowStartOptions,
    headers: Headers,
  ): proto.api.workflowservice.v1.IStartWorkflowExecutionRequest;
  callOptions(signal?: AbortSignal, timeoutMs?: number): { namespace: string; signal?: AbortSignal };
}

/** One update of one workflow: its id, the run it reached, and its result. */
export class WorkflowUpdateHandle<Ret = unknown> {
  constructor(
    private readonly context: UpdateClientContext,
    readonly updateId: string,
    readonly workflowId: string,
    /** The run the update reached (undefined: the current run, for a handle made by `getUpdateHandle`). */
    readonly workflowRunId: string | undefined,
    private outcome?: UpdateOutcome,
  ) {}

  /** The update's result; throws WorkflowUpdateFailedError when it was rejected or its handler failed. */
  async result(options: { signal?: AbortSignal } = {}): Promise<Ret> {
    this.outcome ??= await pollOutcome(
      this.context,
      this.workflowId,
      this.workflowRunId,
      this.updateId,
      options,
    );
    return outcomeValue<Ret>(this.context.converter, this.outcome);
  }
}

function outcomeValue<Ret>(converter: PayloadConverter, outcome: UpdateOutcome): Ret {
  if (outcome.failure) {
    throw new WorkflowUpdateFailedError('Workflow Update failed', failureToError(outcome.failure, converter));
  }
  return firstValue<Ret>(converter, outcome.success);
}

async function pollOutcome(
  context: UpdateClientContext,
  workflowId: string,
  runId: string | undefined,
  updateId: string,
  options: { signal?: AbortSignal },
): Promise<UpdateOutcome> {
  for (;;) {
    let response: proto.api.workflowservice.v1.PollWorkflowExecutionUpdateResponse;
    try {
      response = await context.calls.call(
        'pollWorkflowExecutionUpdate',
        {
          namespace: context.namespace,
          updateRef: { workflowExecution: { workflowId, runId: runId ?? '' }, updateId },
          identity: context.identity,
          waitPolicy: { lifecycleStage: stageValue.COMPLETED },
        },
        context.callOptions(options.signal, LONG_POLL_TIMEOUT_MS),
      );
    } catch (error) {
      throw context.mapError(error, workflowId, runId);
    }
    // Before the outcome the server answers with the stage reached when its long poll ends: ask again.
    if (response.outcome) return response.outcome;
  }
}

function updateRequest(
  context: UpdateClientContext,
  input: WorkflowStartUpdateInput,
): proto.api.workflowservice.v1.IUpdateWorkflowExecutionRequest {
  return {
    namespace: context.namespace,
    workflowExecution: {
      workflowId: input.workflowExecution.workflowId,
      runId: input.workflowExecution.runId ?? '',
    },
    firstExecutionRunId: input.firstExecutionRunId ?? '',
    waitPolicy: { lifecycleStage: stageValue[input.waitForStage] },
    request: {
      meta: { updateId: input.updateId, identity: context.identity },
      input: {
        header: { fields: input.headers },
        name: input.updateName,
        args: toPayloads(context.converter, input.args) ?? null,
      },
    },
  };
}

type StartUpdateOutput = WorkflowStartUpdateOutput;

/**
 * Sends an update and waits for `waitForStage`. The server answers at the latest when its long poll ends, maybe
 * at an earlier stage (admitted): the call is repeated with the same update id, which reaches the same update.
 */
async function sendUpdate(
  context: UpdateClientContext,
  input: WorkflowStartUpdateInput,
  signal: AbortSignal | undefined,
): Promise<StartUpdateOutput> {
  const request = updateRequest(context, input);
  for (;;) {
    let response: proto.api.workflowservice.v1.UpdateWorkflowExecutionResponse;
    try {
      response = await context.calls.call(
        'updateWorkflowExecution',
        request,
        context.callOptions(signal, LONG_POLL_TIMEOUT_MS),
      );
    } catch (error) {
      throw context.mapError(error, input.workflowExecution.workflowId, input.workflowExecution.runId);
    }
    if (done(response, input.waitForStage)) return output(response);
  }
}

function done(
  response: proto.api.workflowservice.v1.IUpdateWorkflowExecutionResponse,
  waitForStage: WorkflowUpdateStage,
): boolean {
  // A rejection comes back as an outcome at the ACCEPTED stage's place: the update is over either way.
  return response.outcome != null || (response.stage ?? 0) >= stageValue[waitForStage];
}

function output(response: proto.api.workflowservice.v1.IUpdateWorkflowExecutionResponse): StartUpdateOutput {
  const runId = response.updateRef?.workflowExecution?.runId ?? '';
  return response.outcome ? { workflowRunId: runId, outcome: response.outcome } : { workflowRunId: runId };
}

/** Starts an update through the client's `startUpdate` interceptors. */
export async function startUpdate<Ret>(
  context: UpdateClientContext,
  workflowId: string,
  runId: string | undefined,
  firstExecutionRunId: string | undefined,
  update: UpdateDefinition<Ret, unknown[]> | string,
  options: StartUpdateOptions,
): Promise<WorkflowUpdateHandle<Ret>> {
  const updateId = options.updateId ?? randomUUID();
  const start = composeInterceptors(context.interceptors, 'startUpdate', (input) =>
    sendUpdate(context, input, options.signal),
  );
  const result = await start({
    namespace: context.namespace,
    workflowExecution: { workflowId, runId },
    firstExecutionRunId,
    updateId,
    updateName: typeof update === 'string' ? update : update.name,
    args: options.args ?? [],
    headers: {},
    waitForStage: options.waitForStage,
  });
  return new WorkflowUpdateHandle<Ret>(context, updateId, workflowId, result.workflowRunId, result.outcome);
}

/** The start half of update-with-start as this module uses it (`WithStartWorkflowOperation`, workflow-client.ts). */
export interface WithStartOperation {
  readonly workflowType: string;
  readonly options: WorkflowStartOptions;
  /** Binds the operation to the call using it (throws when it was already used). */
  claim(makeHandle: (runId: string) => unknown): void;
  resolve(runId: string): void;
  reject(error: unknown): void;
}

/** Starts (or uses) the workflow and sends it the update in one ExecuteMultiOperation call. */
export async function startUpdateWithStart<Ret>(
  context: UpdateClientContext,
  update: UpdateDefinition<Ret, unknown[]> | string,
  options: UpdateOptions & { startWorkflowOperation: WithStartOperation; waitForStage: WorkflowUpdateStage },
  makeHandle: (workflowId: string, runId: string) => unknown,
): Promise<WorkflowUpdateHandle<Ret>> {
  const operation = options.startWorkflowOperation;
  operation.claim((runId) => makeHandle(operation.options.workflowId, runId));
  const workflowId = operation.options.workflowId;
  const updateId = options.updateId ?? randomUUID();
  const input: WorkflowStartUpdateInput = {
    namespace: context.namespace,
    workflowExecution: { workflowId },
    firstExecutionRunId: undefined,
    updateId,
    updateName: typeof update === 'string' ? update : update.name,
    args: options.args ?? [],
    headers: {},
    waitForStage: options.waitForStage,
  };
  let result: StartUpdateOutput;
  try {
    const response = await context.calls.call(
      'executeMultiOperation',
      {
        namespace: context.namespace,
        operations: [
          {
            startWorkflow: context.startRequest(operation.workflowType, operation.options, {}),
          },
          { updateWorkflow: updateRequest(context, input) },
        ],
      },
      context.callOptions(options.signal, LONG_POLL_TIMEOUT_MS),
    );
    const started = response.responses?.[0]?.startWorkflow;
    const updated = response.responses?.[1]?.updateWorkflow;
    const runId = started?.runId || updated?.updateRef?.workflowExecution?.runId || '';
    operation.resolve(runId);
    result =
      updated && done(updated, options.waitForStage)
        ? output(updated)
        : // The long poll ended before the stage: the workflow runs, the update is known; wait on the run.
          await sendUpdate(context, { ...input, workflowExecution: { workflowId, runId } }, options.signal);
  } catch (error) {
    // A multi-operation failure carries the failed operation's status: ALREADY_EXISTS is the start's conflict.
    const mapped =
      error instanceof ServiceCallError && error.code === status.ALREADY_EXISTS
        ? new WorkflowExecutionAlreadyStartedError(
            error.message,
            error.method,
            workflowId,
            operation.workflowType,
          )
        : context.mapError(error, workflowId, undefined, operation.workflowType);
    operation.reject(mapped);
    throw mapped;
  }
  return new WorkflowUpdateHandle<Ret>(context, updateId, workflowId, result.workflowRunId, result.outcome);
}
