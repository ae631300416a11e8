import {
  type CallContext,
  decodeTaskToken,
  type HistoryApi,
  type HistoryPeerApi,
  type NamespaceRef,
  shardIdFor,
} from '@odin/api';
import type { Clock } from '@odin/hugo';
import type { MembershipMonitor } from '../membership-monitor.js';
import { HISTORY_ROLE, shardRingKey } from '../shard-ownership.js';
import { type CallTarget, callOwner } from './owner-call.js';
import { type LocalRole, RoleTargets } from './role-targets.js';

/** History as another role sees it in a cluster: every call goes to the owner of the workflow's shard. */
export type HistoryEndpoint = HistoryApi & HistoryPeerApi;

export interface RoutingHistoryOptions<L extends HistoryEndpoint = HistoryEndpoint> {
  readonly clock: Clock;
  readonly shardCount: number;
  /** Makes the gRPC client of a remote history member. */
  readonly connect: (address: string) => HistoryEndpoint & { close(): void };
  /** This process's history role, built by the router and called directly when the ring says it owns the shard. */
  readonly local?: LocalRole<RoutingHistoryClient<L>, L>;
  /** Deadline of a call that came without one; default 30 s. */
  readonly defaultTimeoutMs?: number;
  /** Bound of one attempt at a non-long-poll call; default 5 s. */
  readonly attemptTimeoutMs?: number;
}

type Method = Exclude<keyof HistoryEndpoint, 'recordsSdkMetadata'>;
type Args<M extends Method> = HistoryEndpoint[M] extends (
  ns: NamespaceRef,
  req: infer R,
  ctx: CallContext,
) => unknown
  ? R
  : never;

/** The workflow whose shard serves each call; calls that name it only inside their task token decode it. */
const WORKFLOW_OF: { [M in Method]: (req: Args<M>) => string } = {
  startWorkflowExecution: (r) => r.workflowId ?? '',
  signalWithStartWorkflowExecution: (r) => r.workflowId ?? '',
  signalWorkflowExecution: (r) => r.workflowExecution?.workflowId ?? '',
  requestCancelWorkflowExecution: (r) => r.workflowExecution?.workflowId ?? '',
  terminateWorkflowExecution: (r) => r.workflowExecution?.workflowId ?? '',
  describeWorkflowExecution: (r) => r.execution?.workflowId ?? '',
  getWorkflowExecutionHistory: (r) => r.execution?.workflowId ?? '',
  queryWorkflow: (r) => r.execution?.workflowId ?? '',
  updateWorkflowExecution: (r) => r.workflowExecution?.workflowId ?? '',
  pollWorkflowExecutionUpdate: (r) => r.updateRef?.workflowExecution?.workflowId ?? '',
  executeMultiOperation: (r) => r.operations?.[0]?.startWorkflow?.workflowId ?? '',
  recordWorkflowTaskStarted: (r) => r.workflowId,
  recordActivityTaskStarted: (r) => r.workflowId,
  respondWorkflowTaskCompleted: (r) => tokenWorkflowId(r.taskToken),
  respondWorkflowTaskFailed: (r) => tokenWorkflowId(r.taskToken),
  recordActivityTaskHeartbeat: (r) => tokenWorkflowId(r.taskToken),
  recordActivityTaskHeartbeatById: (r) => r.workflowId ?? '',
  respondActivityTaskCompleted: (r) => tokenWorkflowId(r.taskToken),
  respondActivityTaskCompletedById: (r) => r.workflowId ?? '',
  respondActivityTaskFailed: (r) => tokenWorkflowId(r.taskToken),
  respondActivityTaskFailedById: (r) => r.workflowId ?? '',
  respondActivityTaskCanceled: (r) => tokenWorkflowId(r.taskToken),
  respondActivityTaskCanceledById: (r) => r.workflowId ?? '',
  resetStickyTaskQueue: (r) => r.execution?.workflowId ?? '',
  getWorkflowExecutionHistoryReverse: (r) => r.execution?.workflowId ?? '',
  deleteWorkflowExecution: (r) => r.workflowExecution?.workflowId ?? '',
  resetWorkflowExecution: (r) => r.workflowExecution?.workflowId ?? '',
  startChildExecution: (r) => r.attributes.workflowId ?? '',
  recordChildExecutionCompleted: (r) => r.parentWorkflowId,
  applyParentClosePolicy: (r) => r.workflowId,
  deliverExternal: (r) => r.targetWorkflowId,
};

function tokenWorkflowId(token: Uint8Array | null | undefined): string {
  const decoded = decodeTaskToken(token);
  return decoded.kind === 'query' ? '' : decoded.workflowId;
}

/** Long polls wait as long as their caller allows; everything else is bounded per attempt. */
function isLongPoll(method: Method, req: unknown): boolean {
  if (
    method === 'queryWorkflow' ||
    method === 'updateWorkflowExecution' ||
    method === 'pollWorkflowExecutionUpdate' ||
    method === 'executeMultiOperation'
  ) {
    return true;
  }
  return (
    method === 'getWorkflowExecutionHistory' && Boolean((req as { waitNewEvent?: boolean }).waitNewEvent)
  );
}

/**
 * Routes each history call to the live history member the ring gives the workflow's shard, over gRPC (or directly
 * to this process's history role), retrying while shards move between hosts.
 */
export class RoutingHistoryClient<L extends HistoryEndpoint = HistoryEndpoint> implements HistoryEndpoint {
  readonly recordsSdkMetadata = true;
  readonly #targets: RoleTargets<HistoryEndpoint>;
  /** This process's history role (built by `options.local.create`); undefined when this process runs none. */
  readonly local: L | undefined;
  readonly #localTarget: { readonly memberId: string; readonly api: HistoryEndpoint } | undefined;

  constructor(
    monitor: MembershipMonitor,
    private readonly options: RoutingHistoryOptions<L>,
  ) {
    this.#targets = new RoleTargets(monitor, HISTORY_ROLE, options.connect);
    this.local = options.local?.create(this);
    this.#localTarget =
      options.local && this.local ? { memberId: options.local.memberId, api: this.local } : undefined;
  }

  close(): void {
    this.#targets.close();
  }

  #target(namespaceId: string, workflowId: string): CallTarget<HistoryEndpoint> | undefined {
    return this.#targets.target(
      shardRingKey(shardIdFor(namespaceId, workflowId, this.options.shardCount)),
      this.#localTarget,
    );
  }

  #call<M extends Method>(method: M, ns: NamespaceRef, req: Args<M>, ctx: CallContext): Promise<never> {
    // Each public method's own annotation carries the precise reply type; this is the one untyped hop.
    const workflowId = (WORKFLOW_OF[method] as (r: Args<M>) => string)(req);
    type Fn = (ns: NamespaceRef, req: Args<M>, ctx: CallContext) => Promise<unknown>;
    return callOwner(
      {
        clock: this.options.clock,
        ctx,
        resolve: () => this.#target(ns.id, workflowId),
        what: `History ${method} for workflow ${workflowId}`,
        defaultTimeoutMs: this.options.defaultTimeoutMs ?? 30_000,
        attemptTimeoutMs: isLongPoll(method, req) ? undefined : (this.options.attemptTimeoutMs ?? 5_000),
      },
      (api, attemptCtx) => (api[method] as unknown as Fn).call(api, ns, req, attemptCtx),
    ) as Promise<never>;
  }

  startWorkflowExecution: HistoryEndpoint['startWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('startWorkflowExecution', ns, req, ctx);
  signalWithStartWorkflowExecution: HistoryEndpoint['signalWithStartWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('signalWithStartWorkflowExecution', ns, req, ctx);
  signalWorkflowExecution: HistoryEndpoint['signalWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('signalWorkflowExecution', ns, req, ctx);
  requestCancelWorkflowExecution: HistoryEndpoint['requestCancelWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('requestCancelWorkflowExecution', ns, req, ctx);
  terminateWorkflowExecution: HistoryEndpoint['terminateWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('terminateWorkflowExecution', ns, req, ctx);
  describeWorkflowExecution: HistoryEndpoint['describeWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('describeWorkflowExecution', ns, req, ctx);
  getWorkflowExecutionHistory: HistoryEndpoint['getWorkflowExecutionHistory'] = (ns, req, ctx) =>
    this.#call('getWorkflowExecutionHistory', ns, req, ctx);
  queryWorkflow: HistoryEndpoint['queryWorkflow'] = (ns, req, ctx) =>
    this.#call('queryWorkflow', ns, req, ctx);
  updateWorkflowExecution: HistoryEndpoint['updateWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('updateWorkflowExecution', ns, req, ctx);
  pollWorkflowExecutionUpdate: HistoryEndpoint['pollWorkflowExecutionUpdate'] = (ns, req, ctx) =>
    this.#call('pollWorkflowExecutionUpdate', ns, req, ctx);
  executeMultiOperation: HistoryEndpoint['executeMultiOperation'] = (ns, req, ctx) =>
    this.#call('executeMultiOperation', ns, req, ctx);
  recordWorkflowTaskStarted: HistoryEndpoint['recordWorkflowTaskStarted'] = (ns, req, ctx) =>
    this.#call('recordWorkflowTaskStarted', ns, req, ctx);
  recordActivityTaskStarted: HistoryEndpoint['recordActivityTaskStarted'] = (ns, req, ctx) =>
    this.#call('recordActivityTaskStarted', ns, req, ctx);
  respondWorkflowTaskCompleted: HistoryEndpoint['respondWorkflowTaskCompleted'] = (ns, req, ctx) =>
    this.#call('respondWorkflowTaskCompleted', ns, req, ctx);
  respondWorkflowTaskFailed: HistoryEndpoint['respondWorkflowTaskFailed'] = (ns, req, ctx) =>
    this.#call('respondWorkflowTaskFailed', ns, req, ctx);
  recordActivityTaskHeartbeat: HistoryEndpoint['recordActivityTaskHeartbeat'] = (ns, req, ctx) =>
    this.#call('recordActivityTaskHeartbeat', ns, req, ctx);
  recordActivityTaskHeartbeatById: HistoryEndpoint['recordActivityTaskHeartbeatById'] = (ns, req, ctx) =>
    this.#call('recordActivityTaskHeartbeatById', ns, req, ctx);
  respondActivityTaskCompleted: HistoryEndpoint['respondActivityTaskCompleted'] = (ns, req, ctx) =>
    this.#call('respondActivityTaskCompleted', ns, req, ctx);
  respondActivityTaskCompletedById: HistoryEndpoint['respondActivityTaskCompletedById'] = (ns, req, ctx) =>
    this.#call('respondActivityTaskCompletedById', ns, req, ctx);
  respondActivityTaskFailed: HistoryEndpoint['respondActivityTaskFailed'] = (ns, req, ctx) =>
    this.#call('respondActivityTaskFailed', ns, req, ctx);
  respondActivityTaskFailedById: HistoryEndpoint['respondActivityTaskFailedById'] = (ns, req, ctx) =>
    this.#call('respondActivityTaskFailedById', ns, req, ctx);
  respondActivityTaskCanceled: HistoryEndpoint['respondActivityTaskCanceled'] = (ns, req, ctx) =>
    this.#call('respondActivityTaskCanceled', ns, req, ctx);
  respondActivityTaskCanceledById: HistoryEndpoint['respondActivityTaskCanceledById'] = (ns, req, ctx) =>
    this.#call('respondActivityTaskCanceledById', ns, req, ctx);
  resetStickyTaskQueue: HistoryEndpoint['resetStickyTaskQueue'] = (ns, req, ctx) =>
    this.#call('resetStickyTaskQueue', ns, req, ctx);
  deleteWorkflowExecution: HistoryEndpoint['deleteWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('deleteWorkflowExecution', ns, req, ctx);
  resetWorkflowExecution: HistoryEndpoint['resetWorkflowExecution'] = (ns, req, ctx) =>
    this.#call('resetWorkflowExecution', ns, req, ctx);
  getWorkflowExecutionHistoryReverse: HistoryEndpoint['getWorkflowExecutionHistoryReverse'] = (
    ns,
    req,
    ctx,
  ) => this.#call('getWorkflowExecutionHistoryReverse', ns, req, ctx);
  startChildExecution: HistoryEndpoint['startChildExecution'] = (ns, req, ctx) =>
    this.#call('startChildExecution', ns, req, ctx);
  recordChildExecutionCompleted: HistoryEndpoint['recordChildExecutionCompleted'] = (ns, req, ctx) =>
    this.#call('recordChildExecutionCompleted', ns, req, ctx);
  applyParentClosePolicy: HistoryEndpoint['applyParentClosePolicy'] = (ns, req, ctx) =>
    this.#call('applyParentClosePolicy', ns, req, ctx);
  deliverExternal: HistoryEndpoint['deliverExternal'] = (ns, req, ctx) =>
    this.#call('deliverExternal', ns, req, ctx);
}
