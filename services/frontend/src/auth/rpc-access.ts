import type { temporal } from '@temporalio/proto';
import type { rpc } from 'protobufjs';
import { HEALTH_SERVICE, OPERATOR_SERVICE, WORKFLOW_SERVICE } from '../grpc-service.js';

/**
 * What a call needs. Namespace-scoped classes are checked against the request's namespace, where the caller's
 * `temporal-system` roles count too:
 * - `read`: reader, worker, writer or admin (workers read history pages and describe their namespace);
 * - `worker`: worker, writer or admin: polling for tasks and answering them;
 * - `write`: writer or admin: starting, signalling, cancelling, terminating, updating, schedules;
 * - `admin`: admin: changing the namespace and its search attributes.
 * Cluster-wide classes:
 * - `system-read`: any `temporal-system` role (cluster facts: no tenant data, but nothing a tenant needs either);
 * - `system`: `temporal-system:admin`: namespace lifecycle, clusters, Nexus endpoints;
 * - `namespace-list`: any authenticated caller; the answer lists only the namespaces the caller holds a role in
 *   (all of them for `temporal-system` roles);
 * - `health`: answered without credentials when AUTH_ALLOW_UNAUTHENTICATED_HEALTH is on (the default).
 */
export type Access =
  | 'health'
  | 'read'
  | 'worker'
  | 'write'
  | 'admin'
  | 'system-read'
  | 'system'
  | 'namespace-list';

export const ACCESS_CLASSES: readonly Access[] = [
  'health',
  'read',
  'worker',
  'write',
  'admin',
  'system-read',
  'system',
  'namespace-list',
];

/** Access classes that name a namespace (the request's `namespace` field). */
export const NAMESPACE_SCOPED: ReadonlySet<Access> = new Set(['read', 'worker', 'write', 'admin']);

/**
 * The RPC names of a protobufjs service class from the `@temporalio/proto` typings: its own members, capitalised
 * (protobufjs lower-cases the first letter of each proto method). A method added to the pinned proto package is a
 * new key here, so a table below that does not classify it no longer compiles.
 */
type RpcNames<S> = Capitalize<Exclude<keyof S, keyof rpc.Service> & string>;

export type WorkflowServiceMethod = RpcNames<temporal.api.workflowservice.v1.WorkflowService>;
export type OperatorServiceMethod = RpcNames<temporal.api.operatorservice.v1.OperatorService>;
export type HealthServiceMethod = RpcNames<import('@temporalio/proto').grpc.health.v1.Health>;

export const WORKFLOW_SERVICE_ACCESS: Readonly<Record<WorkflowServiceMethod, Access>> = {
  // Namespaces
  RegisterNamespace: 'system',
  DescribeNamespace: 'read',
  ListNamespaces: 'namespace-list',
  UpdateNamespace: 'admin',
  DeprecateNamespace: 'system',
  // Workflows: the client side
  StartWorkflowExecution: 'write',
  ExecuteMultiOperation: 'write',
  SignalWorkflowExecution: 'write',
  SignalWithStartWorkflowExecution: 'write',
  RequestCancelWorkflowExecution: 'write',
  TerminateWorkflowExecution: 'write',
  ResetWorkflowExecution: 'write',
  DeleteWorkflowExecution: 'write',
  UpdateWorkflowExecution: 'write',
  UpdateWorkflowExecutionOptions: 'write',
  PauseWorkflowExecution: 'write',
  UnpauseWorkflowExecution: 'write',
  PollWorkflowExecutionUpdate: 'read',
  PollWorkflowExecutionTimeSkipping: 'read',
  QueryWorkflow: 'read',
  DescribeWorkflowExecution: 'read',
  GetWorkflowExecutionHistory: 'read',
  GetWorkflowExecutionHistoryReverse: 'read',
  // Visibility
  ListOpenWorkflowExecutions: 'read',
  ListClosedWorkflowExecutions: 'read',
  ListWorkflowExecutions: 'read',
  ListArchivedWorkflowExecutions: 'read',
  ScanWorkflowExecutions: 'read',
  CountWorkflowExecutions: 'read',
  GetSearchAttributes: 'system-read',
  // Workers: polls and the answers to what they polled
  PollWorkflowTaskQueue: 'worker',
  RespondWorkflowTaskCompleted: 'worker',
  RespondWorkflowTaskFailed: 'worker',
  PollActivityTaskQueue: 'worker',
  RecordActivityTaskHeartbeat: 'worker',
  RecordActivityTaskHeartbeatById: 'worker',
  RespondActivityTaskCompleted: 'worker',
  RespondActivityTaskCompletedById: 'worker',
  RespondActivityTaskFailed: 'worker',
  RespondActivityTaskFailedById: 'worker',
  RespondActivityTaskCanceled: 'worker',
  RespondActivityTaskCanceledById: 'worker',
  RespondQueryTaskCompleted: 'worker',
  ResetStickyTaskQueue: 'worker',
  ShutdownWorker: 'worker',
  PollNexusTaskQueue: 'worker',
  RespondNexusTaskCompleted: 'worker',
  RespondNexusTaskFailed: 'worker',
  RecordWorkerHeartbeat: 'worker',
  FetchWorkerConfig: 'read',
  UpdateWorkerConfig: 'write',
  ListWorkers: 'read',
  CountWorkers: 'read',
  DescribeWorker: 'read',
  // Task queues
  DescribeTaskQueue: 'read',
  ListTaskQueuePartitions: 'read',
  UpdateTaskQueueConfig: 'write',
  // Cluster
  GetClusterInfo: 'system-read',
  GetSystemInfo: 'health',
  // Schedules
  CreateSchedule: 'write',
  DescribeSchedule: 'read',
  UpdateSchedule: 'write',
  PatchSchedule: 'write',
  ListScheduleMatchingTimes: 'read',
  DeleteSchedule: 'write',
  ListSchedules: 'read',
  CountSchedules: 'read',
  // Worker versioning and deployments
  UpdateWorkerBuildIdCompatibility: 'write',
  GetWorkerBuildIdCompatibility: 'read',
  UpdateWorkerVersioningRules: 'write',
  GetWorkerVersioningRules: 'read',
  GetWorkerTaskReachability: 'read',
  DescribeDeployment: 'read',
  DescribeWorkerDeploymentVersion: 'read',
  ListDeployments: 'read',
  GetDeploymentReachability: 'read',
  GetCurrentDeployment: 'read',
  SetCurrentDeployment: 'write',
  SetWorkerDeploymentCurrentVersion: 'write',
  DescribeWorkerDeployment: 'read',
  DeleteWorkerDeployment: 'write',
  DeleteWorkerDeploymentVersion: 'write',
  SetWorkerDeploymentRampingVersion: 'write',
  ListWorkerDeployments: 'read',
  CreateWorkerDeployment: 'write',
  CreateWorkerDeploymentVersion: 'write',
  UpdateWorkerDeploymentVersionComputeConfig: 'write',
  ValidateWorkerDeploymentVersionComputeConfig: 'read',
  UpdateWorkerDeploymentVersionMetadata: 'write',
  SetWorkerDeploymentManager: 'write',
  // Batch operations
  StartBatchOperation: 'write',
  StopBatchOperation: 'write',
  DescribeBatchOperation: 'read',
  ListBatchOperations: 'read',
  // Activities of a workflow, by id
  UpdateActivityOptions: 'write',
  PauseActivity: 'write',
  UnpauseActivity: 'write',
  ResetActivity: 'write',
  // Workflow rules
  CreateWorkflowRule: 'write',
  DescribeWorkflowRule: 'read',
  DeleteWorkflowRule: 'write',
  ListWorkflowRules: 'read',
  TriggerWorkflowRule: 'write',
  // Standalone activities and Nexus operations
  StartActivityExecution: 'write',
  StartNexusOperationExecution: 'write',
  DescribeActivityExecution: 'read',
  DescribeNexusOperationExecution: 'read',
  PollActivityExecution: 'read',
  PollNexusOperationExecution: 'read',
  ListActivityExecutions: 'read',
  ListNexusOperationExecutions: 'read',
  CountActivityExecutions: 'read',
  CountNexusOperationExecutions: 'read',
  RequestCancelActivityExecution: 'write',
  RequestCancelNexusOperationExecution: 'write',
  TerminateActivityExecution: 'write',
  DeleteActivityExecution: 'write',
  PauseActivityExecution: 'write',
  ResetActivityExecution: 'write',
  UnpauseActivityExecution: 'write',
  UpdateActivityExecutionOptions: 'write',
  TerminateNexusOperationExecution: 'write',
  DeleteNexusOperationExecution: 'write',
};

export const OPERATOR_SERVICE_ACCESS: Readonly<Record<OperatorServiceMethod, Access>> = {
  AddSearchAttributes: 'admin',
  RemoveSearchAttributes: 'admin',
  ListSearchAttributes: 'read',
  DeleteNamespace: 'system',
  AddOrUpdateRemoteCluster: 'system',
  RemoveRemoteCluster: 'system',
  ListClusters: 'system',
  GetNexusEndpoint: 'system',
  CreateNexusEndpoint: 'system',
  UpdateNexusEndpoint: 'system',
  DeleteNexusEndpoint: 'system',
  ListNexusEndpoints: 'system',
};

export const HEALTH_SERVICE_ACCESS: Readonly<Record<HealthServiceMethod, Access>> = {
  Check: 'health',
  Watch: 'health',
};

/** Every table by fully-qualified service name. */
export const RPC_ACCESS: ReadonlyMap<string, Readonly<Record<string, Access>>> = new Map<
  string,
  Readonly<Record<string, Access>>
>([
  [WORKFLOW_SERVICE, WORKFLOW_SERVICE_ACCESS],
  [OPERATOR_SERVICE, OPERATOR_SERVICE_ACCESS],
  [HEALTH_SERVICE, HEALTH_SERVICE_ACCESS],
]);

/** The class of one RPC; undefined for a method no table knows (refused: nothing unclassified is served). */
export function accessOf(service: string, method: string): Access | undefined {
  const table = RPC_ACCESS.get(service);
  return table && Object.hasOwn(table, method) ? table[method] : undefined;
}
