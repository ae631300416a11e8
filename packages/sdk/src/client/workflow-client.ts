import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { status } from '@grpc/grpc-js';
import { temporal, timestampToMs, toNumber } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import {
  type QueryDefinition,
  type SignalDefinition,
  type UpdateDefinition,
  type Workflow,
  type WorkflowResultType,
  workflowTypeName,
} from '../common/definitions.js';
import { toProtoDuration } from '../common/duration.js';
import type {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowStartOptions,
} from './start-options.js';
import {
  CancelledFailure,
  failureToError,
  retryStateName,
  TerminatedFailure,
  type TemporalFailure,
  TimeoutFailure,
} from '../common/failure.js';
import {
  defaultPayloadConverter,
  firstValue,
  fromPayloadMap,
  type PayloadConverter,
  toPayloadMap,
  toPayloads,
} from '../common/payload.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import { toProtoRetryPolicy } from '../common/retry.js';
import { CodecCalls } from '../codec/codec-calls.js';
import type { PayloadCodec } from '../codec/payload-codec.js';
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import type { Connection } from './connection.js';
import type {
  WorkflowClientInterceptor,
  WorkflowSignalWithStartInput,
  WorkflowStartInput,
} from './interceptors.js';
import { LONG_POLL_TIMEOUT_MS } from './connection.js';
import type { ScheduleClientInterceptor } from './interceptors.js';
import { ScheduleClient } from './schedule-client.js';
import {
  type StartUpdateOptions,
  startUpdate,
  startUpdateWithStart,
  type UpdateClientContext,
  type UpdateOptions,
  WorkflowUpdateHandle,
  type WorkflowUpdateStage,
} from './updates.js';

/**
 * The start half of update-with-start: a workflow to start (or, by its `workflowIdConflictPolicy`, to use when it
 * is already running). After the call, `workflowHandle()` gives the run the update reached.
 */
export class WithStartWorkflowOperation<W extends Workflow = Workflow> {
  private settle!: { resolve(handle: WorkflowHandle<W>): void; reject(error: unknown): void };
  private readonly handle: Promise<WorkflowHandle<W>>;
  private makeHandle: ((runId: string) => WorkflowHandle<W>) | undefined;

  readonly workflowType: string;

  /** `options.workflowIdConflictPolicy` is required: it says what happens when the workflow is already running. */
  constructor(
    workflow: W | string,
    readonly options: WorkflowStartOptions<Parameters<W>> & {
      workflowIdConflictPolicy: NonNullable<WorkflowStartOptions['workflowIdConflictPolicy']>;
    },
  ) {
    this.workflowType = workflowTypeName(workflow);
    this.handle = new Promise<WorkflowHandle<W>>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A caller that never asks for the handle must not see an unhandled rejection.
    this.handle.catch(() => undefined);
  }

  /** The workflow the update-with-start call reached (resolves once the call returned, rejects if it failed). */
  workflowHandle(): Promise<WorkflowHandle<W>> {
    return this.handle;
  }

  /** @internal Binds the operation to the call using it: one operation goes with one call. */
  claim(makeHandle: (runId: string) => unknown): void {
    if (this.makeHandle) throw new TypeError('This WithStartWorkflowOperation was already used in a call');
    this.makeHandle = makeHandle as (runId: string) => WorkflowHandle<W>;
  }

  /** @internal */
  resolve(runId: string): void {
    this.settle.resolve(this.makeHandle!(runId));
  }

  /** @internal */
  reject(error: unknown): void {
    this.settle.reject(error);
  }
}

export interface UpdateWithStartOptions<Args extends unknown[] = unknown[], W extends Workflow = Workflow>
  extends UpdateOptions<Args> {
  // biome-ignore lint/suspicious/noExplicitAny: any workflow's operation goes with any update.
  startWorkflowOperation: WithStartWorkflowOperation<W> | WithStartWorkflowOperation<any>;
}

import {
  NamespaceNotFoundError,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceCallError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from './errors.js';

const enums = temporal.api.enums.v1;
const EventType = enums.EventType;

export type {
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowStartOptions,
} from './start-options.js';

export interface SignalWithStartOptions<
  Args extends unknown[] = unknown[],
  SArgs extends unknown[] = unknown[],
> extends WorkflowStartOptions<Args> {
  signal?: AbortSignal;
  signalName: string | SignalDefinition<SArgs>;
  signalArgs?: SArgs;
}

export interface WorkflowExecutionDescription {
  workflowId: string;
  runId: string;
  type: string;
  /** RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  status: string;
  taskQueue: string;
  startTime: number | undefined;
  closeTime: number | undefined;
  historyLength: number;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  parent?: { workflowId: string; runId: string };
}

export interface WorkflowClientOptions {
  connection: Connection;
  namespace?: string;
  identity?: string;
  payloadConverter?: PayloadConverter;
  /** Payload codecs (encryption, compression) applied to what the client sends and reads; none by default. */
  payloadCodecs?: readonly PayloadCodec[];
  /** Hides failures' message and stack trace in an encoded payload (the official `encodeCommonAttributes`). */
  encodeFailureAttributes?: boolean;
  /** Wrap what the client sends (first = outermost); e.g. the OpenTelemetry interceptor. */
  interceptors?: readonly WorkflowClientInterceptor[];
  /** Wrap what `client.schedule` sends. */
  scheduleInterceptors?: readonly ScheduleClientInterceptor[];
}

export interface ResultOptions {
  /** Follow continue-as-new, retries and cron runs to the last run's result (default true). */
  followRuns?: boolean;
  signal?: AbortSignal;
}

const reusePolicy: Record<WorkflowIdReusePolicy, number> = {
  ALLOW_DUPLICATE: enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
  ALLOW_DUPLICATE_FAILED_ONLY:
    enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
  REJECT_DUPLICATE: enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
  TERMINATE_IF_RUNNING: enums.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING,
};
const conflictPolicy: Record<WorkflowIdConflictPolicy, number> = {
  FAIL: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
  USE_EXISTING: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
  TERMINATE_EXISTING: enums.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
};

function statusName(value: number | null | undefined): string {
  return (enums.WorkflowExecutionStatus[value ?? 0] ?? 'UNSPECIFIED').replace(
    /^WORKFLOW_EXECUTION_STATUS_/,
    '',
  );
}

/**
 * Starts, signals, queries, cancels, terminates, describes and lists workflows, and waits for their results.
 * Every method throws typed errors; wrap a call in `asResult` to get a `Result` instead.
 */
export class WorkflowClient {
  readonly connection: Connection;
  readonly namespace: string;
  readonly identity: string;
  readonly converter: PayloadConverter;
  /** The WorkflowService calls, with the payload codecs applied. */
  readonly calls: CodecCalls;
  private readonly interceptors: readonly WorkflowClientInterceptor[];
  private readonly updates: UpdateClientContext;
  private readonly options: WorkflowClientOptions;
  private scheduleClient: ScheduleClient | undefined;

  constructor(options: WorkflowClientOptions) {
    this.options = options;
    this.connection = options.connection;
    this.namespace = options.namespace ?? 'default';
    this.identity = options.identity ?? `${process.pid}@${hostname()}`;
    this.converter = options.payloadConverter ?? defaultPayloadConverter;
    this.interceptors = options.interceptors ?? [];
    this.calls = new CodecCalls(options.connection, {
      ...(options.payloadCodecs ? { payloadCodecs: options.payloadCodecs } : {}),
      ...(options.encodeFailureAttributes ? { encodeFailureAttributes: true } : {}),
    });
    this.updates = {
      calls: this.calls,
      namespace: this.namespace,
      identity: this.identity,
      converter: this.converter,
      interceptors: this.interceptors,
      mapError: (error, workflowId, runId, workflowType) =>
        this.mapError(error, workflowId, runId, workflowType),
      startRequest: (workflowType, options, headers) => this.startRequest(workflowType, options, headers),
      callOptions: (signal, timeoutMs) => this.callOptions(signal, timeoutMs),
    };
  }

  /** The schedules of this client's namespace, with its connection, converter and codecs (the official `client.schedule`). */
  get schedule(): ScheduleClient {
    const { connection, namespace, identity, payloadConverter, payloadCodecs, encodeFailureAttributes } =
      this.options;
    this.scheduleClient ??= new ScheduleClient({
      connection,
      ...(namespace ? { namespace } : {}),
      ...(identity ? { identity } : {}),
      ...(payloadConverter ? { payloadConverter } : {}),
      ...(payloadCodecs ? { payloadCodecs } : {}),
      ...(encodeFailureAttributes ? { encodeFailureAttributes } : {}),
      ...(this.options.scheduleInterceptors ? { interceptors: this.options.scheduleInterceptors } : {}),
    });
    return this.scheduleClient;
  }

  private callOptions(signal?: AbortSignal, timeoutMs?: number) {
    return { namespace: this.namespace, ...(signal ? { signal } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
  }

  /** Maps a service error to the typed error callers handle; other errors pass through. */
  private mapError(error: unknown, workflowId: string, runId?: string, workflowType = ''): unknown {
    if (!(error instanceof ServiceCallError)) return error;
    if (error.code === status.NOT_FOUND) {
      if (error.details === 'NamespaceNotFoundFailure') {
        return new NamespaceNotFoundError(error.message, error.method, this.namespace);
      }
      return new WorkflowNotFoundError(error.message, error.method, workflowId, runId);
    }
    if (error.code === status.ALREADY_EXISTS && error.method.includes('Start')) {
      return new WorkflowExecutionAlreadyStartedError(error.message, error.method, workflowId, workflowType);
    }
    return error;
  }

  private startRequest(type: string, options: WorkflowStartOptions, headers: Headers) {
    return {
      header: { fields: headers },
      namespace: this.namespace,
      workflowId: options.workflowId,
      workflowType: { name: type },
      taskQueue: { name: options.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: toPayloads(this.converter, options.args ?? []) ?? null,
      workflowExecutionTimeout: toProtoDuration(options.workflowExecutionTimeout) ?? null,
      workflowRunTimeout: toProtoDuration(options.workflowRunTimeout) ?? null,
      workflowTaskTimeout: toProtoDuration(options.workflowTaskTimeout) ?? null,
      identity: this.identity,
      requestId: options.requestId ?? randomUUID(),
      workflowIdReusePolicy: reusePolicy[options.workflowIdReusePolicy ?? 'ALLOW_DUPLICATE'],
      workflowIdConflictPolicy: options.workflowIdConflictPolicy
        ? conflictPolicy[options.workflowIdConflictPolicy]
        : 0,
      retryPolicy: toProtoRetryPolicy(options.retry) ?? null,
      cronSchedule: options.cronSchedule ?? '',
      memo: options.memo ? { fields: toPayloadMap(this.converter, options.memo) } : null,
      searchAttributes: options.searchAttributes
        ? { indexedFields: toPayloadMap(this.converter, options.searchAttributes) }
        : null,
      workflowStartDelay: toProtoDuration(options.startDelay) ?? null,
    };
  }

  /** Starts a workflow; the handle is bound to the new run (its result follows later runs by default). */
  async start<W extends Workflow>(
    workflow: W | string,
    options: WorkflowStartOptions<Parameters<W>>,
  ): Promise<WorkflowHandle<W>> {
    const workflowType = workflowTypeName(workflow);
    const start = composeInterceptors(this.interceptors, 'start', (input) => this.startOnServer(input));
    const runId = await start({
      namespace: this.namespace,
      workflowType,
      headers: {},
      options: options as WorkflowStartOptions,
    });
    return new WorkflowHandle<W>(this, options.workflowId, runId, runId);
  }

  private async startOnServer(input: WorkflowStartInput): Promise<string> {
    // Eager only with a local worker's slot set aside first: a task the server started for no one would wait for
    // its workflow-task timeout.
    const slot = input.options.requestEagerStart
      ? this.connection.localWorkers.reserve(this.namespace, input.options.taskQueue, input.workflowType)
      : undefined;
    try {
      const response = await this.calls.call(
        'startWorkflowExecution',
        {
          ...this.startRequest(input.workflowType, input.options, input.headers),
          ...(slot ? { requestEagerExecution: true } : {}),
        },
        this.callOptions(input.options.signal),
        // The eager task's payloads are the worker's to decode, with its own codecs (the answer has no others).
        slot ? { decodeResponse: false } : {},
      );
      const task = response.eagerWorkflowTask;
      // Handed over without waiting: the worker runs it in the background, the start answers now.
      if (slot && task?.taskToken?.length) slot.deliver(task);
      else slot?.release();
      return response.runId;
    } catch (error) {
      slot?.release();
      throw this.mapError(error, input.options.workflowId, undefined, input.workflowType);
    }
  }

  /** Starts a workflow and waits for its result. */
  async execute<W extends Workflow>(
    workflow: W | string,
    options: WorkflowStartOptions<Parameters<W>>,
  ): Promise<WorkflowResultType<W>> {
    const handle = await this.start(workflow, options);
    return handle.result(options.signal ? { signal: options.signal } : {});
  }

  /** Signals the workflow, starting it first when it is not running. */
  async signalWithStart<W extends Workflow, SArgs extends unknown[] = unknown[]>(
    workflow: W | string,
    options: SignalWithStartOptions<Parameters<W>, SArgs>,
  ): Promise<WorkflowHandle<W>> {
    const signalWithStart = composeInterceptors(this.interceptors, 'signalWithStart', (input) =>
      this.signalWithStartOnServer(input),
    );
    const runId = await signalWithStart({
      namespace: this.namespace,
      workflowType: workflowTypeName(workflow),
      headers: {},
      options: options as WorkflowStartOptions,
      signalName: typeof options.signalName === 'string' ? options.signalName : options.signalName.name,
      signalArgs: options.signalArgs ?? [],
    });
    return new WorkflowHandle<W>(this, options.workflowId, runId, runId);
  }

  private async signalWithStartOnServer(input: WorkflowSignalWithStartInput): Promise<string> {
    try {
      const response = await this.calls.call(
        'signalWithStartWorkflowExecution',
        {
          ...this.startRequest(input.workflowType, input.options, input.headers),
          signalName: input.signalName,
          signalInput: toPayloads(this.converter, input.signalArgs) ?? null,
        },
        this.callOptions(input.options.signal),
      );
      return response.runId;
    } catch (error) {
      throw this.mapError(error, input.options.workflowId, undefined, input.workflowType);
    }
  }

  /** Sends an update and waits until the workflow accepted it (or until it completed); the handle gives its result. */
  startUpdate<Ret, Args extends unknown[]>(
    workflowId: string,
    runId: string | undefined,
    update: UpdateDefinition<Ret, Args> | string,
    options: StartUpdateOptions<Args>,
    firstExecutionRunId?: string,
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return startUpdate<Ret>(
      this.updates,
      workflowId,
      runId,
      firstExecutionRunId,
      update as UpdateDefinition<Ret, unknown[]>,
      options as StartUpdateOptions,
    );
  }

  /** Sends an update and waits for its result (throws WorkflowUpdateFailedError when rejected or failed). */
  async executeUpdate<Ret, Args extends unknown[]>(
    workflowId: string,
    runId: string | undefined,
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateOptions<Args> = {},
    firstExecutionRunId?: string,
  ): Promise<Ret> {
    const handle = await this.startUpdate(
      workflowId,
      runId,
      update,
      { ...options, waitForStage: 'COMPLETED' },
      firstExecutionRunId,
    );
    return handle.result(options.signal ? { signal: options.signal } : {});
  }

  /** A handle on an update sent earlier, by its id (on the given run, or the current one). */
  getUpdateHandle<Ret = unknown>(
    workflowId: string,
    updateId: string,
    runId?: string,
  ): WorkflowUpdateHandle<Ret> {
    return new WorkflowUpdateHandle<Ret>(this.updates, updateId, workflowId, runId);
  }

  /**
   * Update-with-start: starts the workflow of `startWorkflowOperation` (or uses the running one, by its
   * `workflowIdConflictPolicy`) and sends it the update, in one call; waits for `waitForStage`.
   */
  startUpdateWithStart<Ret, Args extends unknown[], W extends Workflow>(
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<Args, W> & { waitForStage: WorkflowUpdateStage },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return startUpdateWithStart<Ret>(
      this.updates,
      update as UpdateDefinition<Ret, unknown[]>,
      options as UpdateOptions & {
        startWorkflowOperation: WithStartWorkflowOperation;
        waitForStage: WorkflowUpdateStage;
      },
      (workflowId, runId) => new WorkflowHandle(this, workflowId, runId, runId),
    );
  }

  /** Update-with-start, waiting for the update's result. */
  async executeUpdateWithStart<Ret, Args extends unknown[], W extends Workflow>(
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateWithStartOptions<Args, W>,
  ): Promise<Ret> {
    const handle = await this.startUpdateWithStart(update, { ...options, waitForStage: 'COMPLETED' });
    return handle.result(options.signal ? { signal: options.signal } : {});
  }

  /** A handle on an existing workflow; without runId it addresses the current run. */
  getHandle<W extends Workflow = Workflow>(workflowId: string, runId?: string): WorkflowHandle<W> {
    return new WorkflowHandle<W>(this, workflowId, runId, undefined);
  }

  async signal<Args extends unknown[]>(
    workflowId: string,
    runId: string | undefined,
    signal: string | SignalDefinition<Args>,
    args: Args,
    abort?: AbortSignal,
  ): Promise<void> {
    const send = composeInterceptors(this.interceptors, 'signal', async (input) => {
      try {
        await this.calls.call(
          'signalWorkflowExecution',
          {
            namespace: this.namespace,
            workflowExecution: {
              workflowId: input.workflowExecution.workflowId,
              runId: input.workflowExecution.runId ?? '',
            },
            signalName: input.signalName,
            input: toPayloads(this.converter, input.args) ?? null,
            identity: this.identity,
            requestId: randomUUID(),
            header: { fields: input.headers },
          },
          this.callOptions(abort),
        );
      } catch (error) {
        throw this.mapError(error, workflowId, runId);
      }
    });
    await send({
      namespace: this.namespace,
      workflowExecution: { workflowId, runId },
      signalName: typeof signal === 'string' ? signal : signal.name,
      args,
      headers: {},
    });
  }

  async query<Ret, Args extends unknown[]>(
    workflowId: string,
    runId: string | undefined,
    query: string | QueryDefinition<Ret, Args>,
    args: Args,
    abort?: AbortSignal,
  ): Promise<Ret> {
    const ask = composeInterceptors(this.interceptors, 'query', async (input) => {
      let response: proto.api.workflowservice.v1.QueryWorkflowResponse;
      try {
        response = await this.calls.call(
          'queryWorkflow',
          {
            namespace: this.namespace,
            execution: {
              workflowId: input.workflowExecution.workflowId,
              runId: input.workflowExecution.runId ?? '',
            },
            query: {
              queryType: input.queryType,
              queryArgs: toPayloads(this.converter, input.args) ?? null,
              header: { fields: input.headers },
            },
          },
          this.callOptions(abort),
        );
      } catch (error) {
        if (error instanceof ServiceCallError && error.code === status.INVALID_ARGUMENT) {
          throw new QueryNotRegisteredError(error.message, error.method);
        }
        throw this.mapError(error, workflowId, runId);
      }
      if (response.queryRejected) throw new QueryRejectedError(statusName(response.queryRejected.status));
      return firstValue<Ret>(this.converter, response.queryResult);
    });
    return (await ask({
      namespace: this.namespace,
      workflowExecution: { workflowId, runId },
      queryType: typeof query === 'string' ? query : query.name,
      args,
      headers: {},
    })) as Ret;
  }

  async cancel(workflowId: string, runId?: string, reason = '', abort?: AbortSignal): Promise<void> {
    const cancel = composeInterceptors(this.interceptors, 'cancel', async (input) => {
      try {
        await this.calls.call(
          'requestCancelWorkflowExecution',
          {
            namespace: this.namespace,
            workflowExecution: {
              workflowId: input.workflowExecution.workflowId,
              runId: input.workflowExecution.runId ?? '',
            },
            identity: this.identity,
            requestId: randomUUID(),
            reason: input.reason,
          },
          this.callOptions(abort),
        );
      } catch (error) {
        throw this.mapError(error, workflowId, runId);
      }
    });
    await cancel({ workflowExecution: { workflowId, runId }, reason });
  }

  async terminate(
    workflowId: string,
    runId?: string,
    reason = '',
    details: unknown[] = [],
    abort?: AbortSignal,
  ): Promise<void> {
    const terminate = composeInterceptors(this.interceptors, 'terminate', async (input) => {
      try {
        await this.calls.call(
          'terminateWorkflowExecution',
          {
            namespace: this.namespace,
            workflowExecution: {
              workflowId: input.workflowExecution.workflowId,
              runId: input.workflowExecution.runId ?? '',
            },
            reason: input.reason,
            details: toPayloads(this.converter, input.details) ?? null,
            identity: this.identity,
          },
          this.callOptions(abort),
        );
      } catch (error) {
        throw this.mapError(error, workflowId, runId);
      }
    });
    await terminate({ workflowExecution: { workflowId, runId }, reason, details });
  }

  async describe(
    workflowId: string,
    runId?: string,
    abort?: AbortSignal,
  ): Promise<WorkflowExecutionDescription> {
    const describe = composeInterceptors(this.interceptors, 'describe', async (input) => {
      let response: proto.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
      try {
        response = await this.calls.call(
          'describeWorkflowExecution',
          {
            namespace: this.namespace,
            execution: {
              workflowId: input.workflowExecution.workflowId,
              runId: input.workflowExecution.runId ?? '',
            },
          },
          this.callOptions(abort),
        );
      } catch (error) {
        throw this.mapError(error, workflowId, runId);
      }
      return this.toDescription(response.workflowExecutionInfo ?? {});
    });
    return (await describe({ workflowExecution: { workflowId, runId } })) as WorkflowExecutionDescription;
  }

  private toDescription(info: proto.api.workflow.v1.IWorkflowExecutionInfo): WorkflowExecutionDescription {
    return {
      workflowId: info.execution?.workflowId ?? '',
      runId: info.execution?.runId ?? '',
      type: info.type?.name ?? '',
      status: statusName(info.status),
      taskQueue: info.taskQueue ?? '',
      startTime: timestampToMs(info.startTime),
      closeTime: timestampToMs(info.closeTime),
      historyLength: toNumber(info.historyLength),
      memo: fromPayloadMap(this.converter, info.memo?.fields),
      searchAttributes: fromPayloadMap(this.converter, info.searchAttributes?.indexedFields),
      ...(info.parentExecution?.workflowId
        ? { parent: { workflowId: info.parentExecution.workflowId, runId: info.parentExecution.runId ?? '' } }
        : {}),
    };
  }

  /** Lists executions matching a visibility query, page by page. */
  async *list(
    query = '',
    options: { pageSize?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<WorkflowExecutionDescription> {
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await this.calls.call(
        'listWorkflowExecutions',
        {
          namespace: this.namespace,
          pageSize: options.pageSize ?? 100,
          query,
          nextPageToken: nextPageToken ?? null,
        },
        this.callOptions(options.signal),
      );
      for (const info of response.executions) yield this.toDescription(info);
      nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    } while (nextPageToken);
  }

  /** How many executions match a visibility query. */
  async count(query = '', abort?: AbortSignal): Promise<number> {
    const response = await this.calls.call(
      'countWorkflowExecutions',
      { namespace: this.namespace, query },
      this.callOptions(abort),
    );
    return toNumber(response.count);
  }

  /** The run's whole history, following page tokens. */
  async fetchHistory(
    workflowId: string,
    runId?: string,
    options: { signal?: AbortSignal; pageSize?: number } = {},
  ): Promise<IHistoryEvent[]> {
    const events: IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    try {
      do {
        const response = await this.calls.call(
          'getWorkflowExecutionHistory',
          {
            namespace: this.namespace,
            execution: { workflowId, runId: runId ?? '' },
            maximumPageSize: options.pageSize ?? 0,
            nextPageToken: nextPageToken ?? null,
          },
          this.callOptions(options.signal),
          // As the official client: the history as the server stores it (payloads still encoded).
          { decodeResponse: false },
        );
        events.push(...(response.history?.events ?? []));
        nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
      } while (nextPageToken);
    } catch (error) {
      throw this.mapError(error, workflowId, runId);
    }
    return events;
  }

  /** Waits for the close event of the run (long poll), following later runs unless told otherwise. */
  async result<T>(workflowId: string, runId: string | undefined, options: ResultOptions = {}): Promise<T> {
    const follow = options.followRuns ?? true;
    let currentRunId = runId;
    for (;;) {
      const event = await this.waitForCloseEvent(workflowId, currentRunId, options.signal);
      const outcome = this.closeOutcome(event);
      if (outcome.nextRunId && (follow || outcome.kind === 'continued')) {
        currentRunId = outcome.nextRunId;
        continue;
      }
      if (outcome.kind === 'completed') return outcome.value as T;
      if (outcome.kind === 'continued')
        throw new TypeError('unreachable: continued-as-new without a next run');
      throw new WorkflowFailedError(outcome.message, outcome.failure, outcome.retryState);
    }
  }

  private async waitForCloseEvent(
    workflowId: string,
    runId: string | undefined,
    signal?: AbortSignal,
  ): Promise<IHistoryEvent> {
    let nextPageToken: Uint8Array | undefined;
    for (;;) {
      let response: proto.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
      try {
        response = await this.calls.call(
          'getWorkflowExecutionHistory',
          {
            namespace: this.namespace,
            execution: { workflowId, runId: runId ?? '' },
            waitNewEvent: true,
            historyEventFilterType: enums.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
            skipArchival: true,
            nextPageToken: nextPageToken ?? null,
          },
          this.callOptions(signal, LONG_POLL_TIMEOUT_MS),
        );
      } catch (error) {
        // A long poll the server let expire says nothing about the workflow: poll again.
        if (
          error instanceof ServiceCallError &&
          error.code === status.DEADLINE_EXCEEDED &&
          !signal?.aborted
        ) {
          continue;
        }
        throw this.mapError(error, workflowId, runId);
      }
      const event = response.history?.events?.[0];
      if (event) return event;
      nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    }
  }

  private closeOutcome(
    event: IHistoryEvent,
  ):
    | { kind: 'completed'; value: unknown; nextRunId?: string }
    | { kind: 'continued'; nextRunId: string }
    | { kind: 'failed'; message: string; failure: TemporalFailure; retryState: string; nextRunId?: string } {
    const c = this.converter;
    const next = (id: string | null | undefined) => (id ? { nextRunId: id } : {});
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
        const a = event.workflowExecutionCompletedEventAttributes!;
        return { kind: 'completed', value: firstValue(c, a.result), ...next(a.newExecutionRunId) };
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: {
        const a = event.workflowExecutionFailedEventAttributes!;
        return {
          kind: 'failed',
          message: 'Workflow execution failed',
          failure: failureToError(a.failure ?? {}, c),
          retryState: retryStateName(a.retryState),
          ...next(a.newExecutionRunId),
        };
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: {
        const a = event.workflowExecutionCanceledEventAttributes!;
        return {
          kind: 'failed',
          message: 'Workflow execution cancelled',
          failure: new CancelledFailure(
            'Workflow cancelled',
            (a.details?.payloads ?? []).map((p) => c.fromPayload(p)),
          ),
          retryState: 'NON_RETRYABLE_FAILURE',
        };
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: {
        const a = event.workflowExecutionTerminatedEventAttributes!;
        return {
          kind: 'failed',
          message: 'Workflow execution terminated',
          failure: new TerminatedFailure(a.reason || 'Terminated'),
          retryState: 'NON_RETRYABLE_FAILURE',
        };
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: {
        const a = event.workflowExecutionTimedOutEventAttributes!;
        return {
          kind: 'failed',
          message: 'Workflow execution timed out',
          failure: new TimeoutFailure('Workflow execution timed out', 'START_TO_CLOSE'),
          retryState: retryStateName(a.retryState),
          ...next(a.newExecutionRunId),
        };
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: {
        const a = event.workflowExecutionContinuedAsNewEventAttributes!;
        return { kind: 'continued', nextRunId: a.newExecutionRunId ?? '' };
      }
      default:
        throw new TypeError(`Unexpected close event type ${event.eventType}`);
    }
  }
}

/** A workflow execution; typed by the workflow function so `result()` has its return type. */
export class WorkflowHandle<W extends Workflow = Workflow> {
  constructor(
    readonly client: WorkflowClient,
    readonly workflowId: string,
    /** The run this handle addresses; undefined means the current run. */
    readonly runId: string | undefined,
    /** The run this handle started, when it started one. */
    readonly firstExecutionRunId: string | undefined,
  ) {}

  result(options: ResultOptions = {}): Promise<WorkflowResultType<W>> {
    return this.client.result<WorkflowResultType<W>>(this.workflowId, this.runId, options);
  }

  signal<Args extends unknown[]>(signal: string | SignalDefinition<Args>, ...args: Args): Promise<void> {
    return this.client.signal(this.workflowId, this.runId, signal, args);
  }

  query<Ret, Args extends unknown[] = []>(
    query: string | QueryDefinition<Ret, Args>,
    ...args: Args
  ): Promise<Ret> {
    return this.client.query(this.workflowId, this.runId, query, args);
  }

  cancel(reason?: string): Promise<void> {
    return this.client.cancel(this.workflowId, this.runId, reason);
  }

  terminate(reason?: string, details?: unknown[]): Promise<void> {
    return this.client.terminate(this.workflowId, this.runId, reason, details);
  }

  describe(): Promise<WorkflowExecutionDescription> {
    return this.client.describe(this.workflowId, this.runId);
  }

  /** Sends an update; resolves at `waitForStage` with a handle on it (`result()`). */
  startUpdate<Ret, Args extends unknown[]>(
    update: UpdateDefinition<Ret, Args> | string,
    options: StartUpdateOptions<Args>,
  ): Promise<WorkflowUpdateHandle<Ret>> {
    return this.client.startUpdate(this.workflowId, this.runId, update, options, this.firstExecutionRunId);
  }

  /** Sends an update and waits for its result. */
  executeUpdate<Ret, Args extends unknown[]>(
    update: UpdateDefinition<Ret, Args> | string,
    options: UpdateOptions<Args> = {},
  ): Promise<Ret> {
    return this.client.executeUpdate(this.workflowId, this.runId, update, options, this.firstExecutionRunId);
  }

  /** A handle on an update of this workflow sent earlier (by this or another client). */
  getUpdateHandle<Ret = unknown>(updateId: string): WorkflowUpdateHandle<Ret> {
    return this.client.getUpdateHandle<Ret>(this.workflowId, updateId, this.runId);
  }

  fetchHistory(): Promise<IHistoryEvent[]> {
    return this.client.fetchHistory(this.workflowId, this.runId);
  }
}
