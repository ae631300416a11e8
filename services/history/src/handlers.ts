import type { CallContext, HistoryApi, HistoryPeerApi, NamespaceRef } from '@odin/api';
import { applyParentClosePolicy } from './api/applyparentclosepolicy/handler.js';
import { deleteWorkflowExecution } from './api/deleteworkflowexecution/handler.js';
import { deliverExternal } from './api/deliverexternal/handler.js';
import { describeWorkflowExecution } from './api/describeworkflow/handler.js';
import { getWorkflowExecutionHistory } from './api/getworkflowexecutionhistory/handler.js';
import { getWorkflowExecutionHistoryReverse } from './api/getworkflowexecutionhistoryreverse/handler.js';
import { executeMultiOperation } from './api/multioperation/handler.js';
import { pollWorkflowExecutionUpdate } from './api/pollupdate/handler.js';
import { queryWorkflow } from './api/queryworkflow/handler.js';
import {
  recordActivityTaskHeartbeat,
  recordActivityTaskHeartbeatById,
} from './api/recordactivitytaskheartbeat/handler.js';
import { recordActivityTaskStarted } from './api/recordactivitytaskstarted/handler.js';
import { recordChildExecutionCompleted } from './api/recordchildexecutioncompleted/handler.js';
import { recordWorkflowTaskStarted } from './api/recordworkflowtaskstarted/handler.js';
import { resetWorkflowExecution } from './api/resetworkflowexecution/handler.js';
import { resetStickyTaskQueue } from './api/resetstickytaskqueue/handler.js';
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
import { startChildExecution } from './api/startchildexecution/handler.js';
import { startWorkflowExecution } from './api/startworkflow/handler.js';
import { terminateWorkflowExecution } from './api/terminateworkflow/handler.js';
import { updateWorkflowExecution } from './api/updateworkflow/handler.js';
import type { HistoryEngine } from './engine.js';

/** Every call a history host serves: frontend's and matching's (HistoryApi) and other history hosts' (peer). */
export type HistoryEndpoint = Omit<HistoryApi, 'recordsSdkMetadata'> & HistoryPeerApi;

/** An RPC's handler: the call's own arguments, with the engine first. */
type Handler<M extends keyof HistoryEndpoint> = (
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Parameters<HistoryEndpoint[M]>[1],
  ctx: CallContext,
) => ReturnType<HistoryEndpoint[M]>;

/**
 * The handler table: one line per RPC, each `src/api/<rpc>/handler.ts`. This is the only module that imports the
 * `api/` folders; what more than one RPC (or an outbox executor) needs lives in `src/state/`.
 */
export const HANDLERS: { readonly [M in keyof HistoryEndpoint]: Handler<M> } = {
  startWorkflowExecution,
  signalWithStartWorkflowExecution,
  signalWorkflowExecution,
  requestCancelWorkflowExecution,
  terminateWorkflowExecution,
  describeWorkflowExecution,
  getWorkflowExecutionHistory,
  queryWorkflow,
  updateWorkflowExecution,
  pollWorkflowExecutionUpdate,
  executeMultiOperation,
  recordWorkflowTaskStarted,
  recordActivityTaskStarted,
  respondWorkflowTaskCompleted,
  respondWorkflowTaskFailed,
  recordActivityTaskHeartbeat,
  recordActivityTaskHeartbeatById,
  respondActivityTaskCompleted,
  respondActivityTaskCompletedById,
  respondActivityTaskFailed,
  respondActivityTaskFailedById,
  respondActivityTaskCanceled,
  respondActivityTaskCanceledById,
  resetStickyTaskQueue,
  getWorkflowExecutionHistoryReverse,
  deleteWorkflowExecution,
  resetWorkflowExecution,
  startChildExecution,
  recordChildExecutionCompleted,
  applyParentClosePolicy,
  deliverExternal,
};

type AnyHandler = (engine: HistoryEngine, ns: NamespaceRef, req: unknown, ctx: CallContext) => unknown;

/**
 * The table bound to an engine: each call first remembers its namespace's name (outbox tasks, logs and metric labels
 * carry only the id), then runs its handler.
 */
export function bindHandlers(engine: HistoryEngine): HistoryEndpoint {
  const bound: Record<string, (ns: NamespaceRef, req: unknown, ctx: CallContext) => unknown> = {};
  for (const [method, handler] of Object.entries(HANDLERS) as [string, AnyHandler][]) {
    bound[method] = (ns, req, ctx) => {
      engine.names.remember(ns);
      return handler(engine, ns, req, ctx);
    };
  }
  return bound as unknown as HistoryEndpoint;
}
