import type { FrontendDeps, HandlerMap } from '../handler-types.js';

export const SERVER_VERSION = '0.1.0';
export const CLUSTER_NAME = 'active';

/**
 * What Odin advertises to SDKs. Only what works is true, since an SDK acts on every flag it sees: sdk_metadata
 * follows history's own flag, because advertising it without recording it breaks replay.
 */
export function serverCapabilities(
  recordsSdkMetadata: boolean,
  eagerWorkflowStart: boolean,
  servesSchedules: boolean,
) {
  return {
    signalAndQueryHeader: true,
    internalErrorDifferentiation: false,
    activityFailureIncludeHeartbeat: true,
    supportsSchedules: servesSchedules,
    encodedFailureAttributes: true,
    buildIdBasedVersioning: false,
    upsertMemo: true,
    eagerWorkflowStart,
    sdkMetadata: recordsSdkMetadata,
    countGroupByExecutionStatus: true,
    nexus: false,
    serverScaledDeployments: false,
  };
}

/** `servesSchedules`: this frontend has the schedule service (a frontend built without one answers UNIMPLEMENTED). */
export function systemHandlers(deps: FrontendDeps, servesSchedules: boolean): HandlerMap {
  const { ctx, history } = deps;
  return {
    async GetSystemInfo() {
      return {
        serverVersion: SERVER_VERSION,
        capabilities: serverCapabilities(
          history.recordsSdkMetadata === true,
          ctx.config.eagerWorkflowStart,
          servesSchedules,
        ),
      };
    },

    async GetClusterInfo() {
      return {
        supportedClients: {},
        serverVersion: SERVER_VERSION,
        clusterId: CLUSTER_NAME,
        clusterName: CLUSTER_NAME,
        historyShardCount: ctx.config.shardCount,
        persistenceStore: ctx.store.dialect,
        visibilityStore: ctx.store.dialect,
        initialFailoverVersion: 1,
        failoverVersionIncrement: 10,
      };
    },
  };
}
