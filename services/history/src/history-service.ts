import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type {
  ApplyParentClosePolicyRequest,
  CallContext,
  DeliverExternalRequest,
  HistoryApi,
  HistoryPeerApi,
  NamespaceRef,
  RecordActivityTaskStartedRequest,
  RecordChildExecutionCompletedRequest,
  RecordWorkflowTaskStartedRequest,
  StartChildExecutionRequest,
} from '@odin/api';
import { applyParentClosePolicy } from './api/applyparentclosepolicy/handler.js';
import { deliverExternal } from './api/deliverexternal/handler.js';
import { recordChildExecutionCompleted } from './api/recordchildexecutioncompleted/handler.js';
import { startChildExecution } from './api/startchildexecution/handler.js';
import {
  recordActivityTaskHeartbeat,
  recordActivityTaskHeartbeatById,
} from './api/recordactivitytaskheartbeat/handler.js';
import { recordActivityTaskStarted } from './api/recordactivitytaskstarted/handler.js';
import { recordWorkflowTaskStarted } from './api/recordworkflowtaskstarted/handler.js';
import { describeWorkflowExecution } from './api/describeworkflow/handler.js';
import { getWorkflowExecutionHistory } from './api/getworkflowexecutionhistory/handler.js';
import { queryWorkflow } from './api/queryworkflow/handler.js';
import { requestCancelWorkflowExecution } from './api/requestcancelworkflow/handler.js';
import {
  respondActivityTaskCanceled,
  respondActivityTaskCanceledById,
} from './api/respondactivitytaskcanceled/handler.js';
import {
  respondActivityTaskCompleted,
  respondActivityTaskCompletedById,
} from './api/respondactivitytaskcompleted/handler.js';
import {
  respondActivityTaskFailed,
  respondActivityTaskFailedById,
} from './api/respondactivitytaskfailed/handler.js';
import { respondWorkflowTaskCompleted } from './api/respondworkflowtaskcompleted/handler.js';
import { respondWorkflowTaskFailed } from './api/respondworkflowtaskfailed/handler.js';
import { signalWithStartWorkflowExecution } from './api/signalwithstartworkflow/handler.js';
import { signalWorkflowExecution } from './api/signalworkflow/handler.js';
import { startWorkflowExecution } from './api/startworkflow/handler.js';
import { terminateWorkflowExecution } from './api/terminateworkflow/handler.js';
import type { Req } from './api/types.js';
import { DEFAULT_HISTORY_OPTIONS, silentLogger } from './context.js';
import type { HistoryDeps, HistoryOptions, HistoryRuntime } from './context.js';
import { HistoryEngine } from './engine.js';
import { HistoryMetricsRecorder } from './metrics.js';
import { QueryRegistry } from './queries.js';
import { executeTimerTask } from './queues/timer-executor.js';
import { executeTransferTask } from './queues/transfer-executor.js';
import { ShardController } from './shard/shard-controller.js';

const DEFAULT_SHARD_COUNT = 512;

declare module './engine.js' {
  interface HistoryEngine {
    queries: QueryRegistry;
  }
}

/**
 * The history role: owns shards, mutable state and the event log of every workflow run, and implements the
 * HistoryApi that frontend and matching call (in-process in dev mode), and the HistoryPeerApi other history hosts
 * call for the target side of child workflows and external signals / cancels. `start` verifies the cluster's shard
 * count, takes the shard leases and starts the outbox processors; nothing is served before it resolved.
 */
export class HistoryService implements HistoryApi, HistoryPeerApi {
  /** WorkflowTaskCompleted events carry the completion's sdk_metadata (the frontend may advertise the capability). */
  readonly recordsSdkMetadata = true;
  readonly engine: HistoryEngine;
  readonly shards: ShardController;
  readonly options: HistoryOptions;
  readonly #abort = new AbortController();

  constructor(ctx: HistoryRuntime, deps: HistoryDeps) {
    // Every outbox dispatch and peer call in flight listens on it; hundreds at once are expected, not a leak.
    setMaxListeners(0, this.#abort.signal);
    this.options = { ...DEFAULT_HISTORY_OPTIONS, ...deps.options };
    const logger = ctx.logger ?? silentLogger;
    const shardCount = deps.shardCount ?? ctx.config?.shardCount ?? DEFAULT_SHARD_COUNT;
    const hostId = deps.hostId ?? ctx.config?.hostId ?? `history-${randomUUID()}`;
    const uuid = ctx.random ? () => ctx.random!.uuid() : randomUUID;
    let engine: HistoryEngine | undefined;
    const metrics = new HistoryMetricsRecorder(ctx.metrics, (id) => engine?.namespaceName(id) ?? id);
    this.shards = new ShardController(
      ctx.store,
      ctx.clock,
      hostId,
      shardCount,
      this.options,
      logger,
      {
        transfer: (_shard, task) => executeTransferTask(engine!, task, this.#abort.signal),
        timer: (_shard, task) => executeTimerTask(engine!, task),
      },
      metrics,
      deps.ownership,
    );
    engine = new HistoryEngine(
      ctx.clock,
      ctx.store,
      deps.matching,
      deps.peers ?? this,
      this.shards,
      this.options,
      logger,
      metrics,
      uuid,
    );
    engine.queries = new QueryRegistry();
    engine.commitListeners.push((_shard, ms) => engine!.queries.onCommit(ms));
    this.engine = engine;
    this.shards.onShardLeft(() => engine!.waiters.notifyAll());
  }

  async start(_signal?: AbortSignal): Promise<void> {
    await this.shards.start();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.engine.waiters.notifyAll();
    await this.shards.stop();
  }

  #ns(ns: NamespaceRef): void {
    this.engine.rememberNamespace(ns);
  }

  async startWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'StartWorkflowExecutionRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return startWorkflowExecution(this.engine, ns, req, ctx);
  }

  async signalWithStartWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'SignalWithStartWorkflowExecutionRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return signalWithStartWorkflowExecution(this.engine, ns, req, ctx);
  }

  async signalWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'SignalWorkflowExecutionRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return signalWorkflowExecution(this.engine, ns, req, ctx);
  }

  async requestCancelWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'RequestCancelWorkflowExecutionRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return requestCancelWorkflowExecution(this.engine, ns, req, ctx);
  }

  async terminateWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'TerminateWorkflowExecutionRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return terminateWorkflowExecution(this.engine, ns, req, ctx);
  }

  async describeWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'DescribeWorkflowExecutionRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return describeWorkflowExecution(this.engine, ns, req, ctx);
  }

  async getWorkflowExecutionHistory(
    ns: NamespaceRef,
    req: Req<'GetWorkflowExecutionHistoryRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return getWorkflowExecutionHistory(this.engine, ns, req, ctx);
  }

  async queryWorkflow(ns: NamespaceRef, req: Req<'QueryWorkflowRequest'>, ctx: CallContext) {
    this.#ns(ns);
    return queryWorkflow(this.engine, ns, req, ctx);
  }

  async recordWorkflowTaskStarted(ns: NamespaceRef, req: RecordWorkflowTaskStartedRequest, ctx: CallContext) {
    return recordWorkflowTaskStarted(this.engine, ns, req, ctx);
  }

  async recordActivityTaskStarted(ns: NamespaceRef, req: RecordActivityTaskStartedRequest, ctx: CallContext) {
    return recordActivityTaskStarted(this.engine, ns, req, ctx);
  }

  async respondWorkflowTaskCompleted(
    ns: NamespaceRef,
    req: Req<'RespondWorkflowTaskCompletedRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondWorkflowTaskCompleted(this.engine, ns, req, ctx);
  }

  async respondWorkflowTaskFailed(
    ns: NamespaceRef,
    req: Req<'RespondWorkflowTaskFailedRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondWorkflowTaskFailed(this.engine, ns, req, ctx);
  }

  async recordActivityTaskHeartbeat(
    ns: NamespaceRef,
    req: Req<'RecordActivityTaskHeartbeatRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return recordActivityTaskHeartbeat(this.engine, ns, req, ctx);
  }

  async recordActivityTaskHeartbeatById(
    ns: NamespaceRef,
    req: Req<'RecordActivityTaskHeartbeatByIdRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return recordActivityTaskHeartbeatById(this.engine, ns, req, ctx);
  }

  async respondActivityTaskCompleted(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCompletedRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondActivityTaskCompleted(this.engine, ns, req, ctx);
  }

  async respondActivityTaskCompletedById(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCompletedByIdRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondActivityTaskCompletedById(this.engine, ns, req, ctx);
  }

  async respondActivityTaskFailed(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskFailedRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondActivityTaskFailed(this.engine, ns, req, ctx);
  }

  async respondActivityTaskFailedById(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskFailedByIdRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondActivityTaskFailedById(this.engine, ns, req, ctx);
  }

  async respondActivityTaskCanceled(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCanceledRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondActivityTaskCanceled(this.engine, ns, req, ctx);
  }

  async respondActivityTaskCanceledById(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCanceledByIdRequest'>,
    ctx: CallContext,
  ) {
    this.#ns(ns);
    return respondActivityTaskCanceledById(this.engine, ns, req, ctx);
  }

  async startChildExecution(ns: NamespaceRef, req: StartChildExecutionRequest, ctx: CallContext) {
    this.#ns(ns);
    return startChildExecution(this.engine, ns, req, ctx);
  }

  async recordChildExecutionCompleted(
    ns: NamespaceRef,
    req: RecordChildExecutionCompletedRequest,
    ctx: CallContext,
  ): Promise<void> {
    this.#ns(ns);
    return recordChildExecutionCompleted(this.engine, ns, req, ctx);
  }

  async applyParentClosePolicy(
    ns: NamespaceRef,
    req: ApplyParentClosePolicyRequest,
    ctx: CallContext,
  ): Promise<void> {
    this.#ns(ns);
    return applyParentClosePolicy(this.engine, ns, req, ctx);
  }

  async deliverExternal(ns: NamespaceRef, req: DeliverExternalRequest, ctx: CallContext): Promise<void> {
    this.#ns(ns);
    return deliverExternal(this.engine, ns, req, ctx);
  }
}
