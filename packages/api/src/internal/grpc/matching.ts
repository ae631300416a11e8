// The matching role over gRPC (odin.matching.v1.MatchingService): the server exposes a MatchingApi, the client is one.
import type { Server } from '@grpc/grpc-js';
import type { MatchingApi } from '../matching-api.js';
import { addTaskBinding, dispatchQueryBinding, type MethodBinding, temporalRequest } from './codecs.js';
import { addInternalService, createInternalClient, type InternalClientOptions } from './transport.js';

export const MATCHING_SERVICE = 'odin.matching.v1.MatchingService';

/** A reservation of a waiting poll is an in-process object: no remote method carries it. */
type RemoteMatchingMethod = Exclude<keyof MatchingApi, 'reserveWorkflowPoll'>;

const matchingBindings: Record<RemoteMatchingMethod, MethodBinding<never>> = {
  addWorkflowTask: addTaskBinding as MethodBinding<never>,
  addActivityTask: addTaskBinding as MethodBinding<never>,
  // The frontend answers the worker's poll with this answer unchanged: its bytes go on (see passOn). An activity
  // task's answer is edited on the way (its timeouts), so it is encoded again.
  pollWorkflowTaskQueue: { ...temporalRequest(), passOn: true },
  pollActivityTaskQueue: temporalRequest(),
  dispatchQuery: dispatchQueryBinding as MethodBinding<never>,
  respondQueryTaskCompleted: temporalRequest(),
  shutdownWorker: temporalRequest(),
  describeTaskQueue: temporalRequest(),
};

/** Serves `impl` as odin.matching.v1.MatchingService on `server`. */
export function addMatchingService(server: Server, impl: MatchingApi): void {
  addInternalService(server, MATCHING_SERVICE, matchingBindings, impl);
}

/** A MatchingApi that calls the MatchingService at `address` (host:port). */
export function createMatchingClient(
  address: string,
  options?: InternalClientOptions,
): MatchingApi & { close(): void } {
  return createInternalClient(
    address,
    MATCHING_SERVICE,
    matchingBindings,
    options,
  ) as unknown as MatchingApi & {
    close(): void;
  };
}
