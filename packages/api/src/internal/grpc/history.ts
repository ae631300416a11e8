// The history role over gRPC (odin.history.v1.HistoryService): the server exposes a HistoryApi, the client is one.
import type { Server } from '@grpc/grpc-js';
import type { HistoryApi, HistoryPeerApi } from '../history-api.js';
import {
  applyParentClosePolicyBinding,
  deliverExternalBinding,
  type MethodBinding,
  recordChildExecutionCompletedBinding,
  startChildExecutionBinding,
  recordActivityTaskStartedBinding,
  recordWorkflowTaskStartedBinding,
  temporalRequest,
} from './codecs.js';
import { addInternalService, createInternalClient, type InternalClientOptions } from './transport.js';

export const HISTORY_SERVICE = 'odin.history.v1.HistoryService';

/** What a history host serves: the HistoryApi and the peer calls of other history hosts. */
export type HistoryEndpointApi = HistoryApi & HistoryPeerApi;

type HistoryMethod = Exclude<keyof HistoryEndpointApi, 'recordsSdkMetadata'>;

const historyBindings: Record<HistoryMethod, MethodBinding<never>> = {
  // Handed on to the client unchanged by the frontend, an eager start's first workflow task included.
  startWorkflowExecution: { ...temporalRequest(), passOn: true },
  signalWithStartWorkflowExecution: { ...temporalRequest(), passOn: true },
  signalWorkflowExecution: temporalRequest(),
  requestCancelWorkflowExecution: temporalRequest(),
  terminateWorkflowExecution: temporalRequest(),
  describeWorkflowExecution: temporalRequest(),
  // Handed on to the client unchanged by the frontend: its bytes go on (see passOn).
  getWorkflowExecutionHistory: { ...temporalRequest(), passOn: true },
  queryWorkflow: temporalRequest(),
  updateWorkflowExecution: temporalRequest(),
  pollWorkflowExecutionUpdate: temporalRequest(),
  executeMultiOperation: temporalRequest(),
  recordWorkflowTaskStarted: recordWorkflowTaskStartedBinding as MethodBinding<never>,
  recordActivityTaskStarted: recordActivityTaskStartedBinding as MethodBinding<never>,
  respondWorkflowTaskCompleted: temporalRequest(),
  respondWorkflowTaskFailed: temporalRequest(),
  recordActivityTaskHeartbeat: temporalRequest(),
  recordActivityTaskHeartbeatById: temporalRequest(),
  respondActivityTaskCompleted: temporalRequest(),
  respondActivityTaskCompletedById: temporalRequest(),
  respondActivityTaskFailed: temporalRequest(),
  respondActivityTaskFailedById: temporalRequest(),
  respondActivityTaskCanceled: temporalRequest(),
  respondActivityTaskCanceledById: temporalRequest(),
  resetStickyTaskQueue: temporalRequest(),
  getWorkflowExecutionHistoryReverse: temporalRequest(),
  deleteWorkflowExecution: temporalRequest(),
  resetWorkflowExecution: temporalRequest(),
  startChildExecution: startChildExecutionBinding as MethodBinding<never>,
  recordChildExecutionCompleted: recordChildExecutionCompletedBinding as MethodBinding<never>,
  applyParentClosePolicy: applyParentClosePolicyBinding as MethodBinding<never>,
  deliverExternal: deliverExternalBinding as MethodBinding<never>,
};

/** Serves `impl` as odin.history.v1.HistoryService on `server`. */
export function addHistoryService(server: Server, impl: HistoryApi | HistoryEndpointApi): void {
  addInternalService(server, HISTORY_SERVICE, historyBindings, impl);
}

/** A HistoryApi that calls the HistoryService at `address` (host:port). */
export function createHistoryClient(
  address: string,
  options?: InternalClientOptions,
): HistoryEndpointApi & { close(): void } {
  const client = createInternalClient(address, HISTORY_SERVICE, historyBindings, options);
  // The remote is Odin's own history, which records sdk_metadata (see HistoryApi.recordsSdkMetadata).
  return Object.assign(client, { recordsSdkMetadata: true }) as unknown as HistoryEndpointApi & {
    close(): void;
  };
}
