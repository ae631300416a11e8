// The UI's only way to the server: Temporal's HTTP API on the same origin (proto3 JSON, payload shorthand).

/** gRPC status names by code, to name an error the way Temporal's tools do. */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** A google.rpc.Status answer of the HTTP API. */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details: readonly unknown[],
  ) {
    super(message);
  }
  get codeName(): string {
    return CODE_NAMES[this.code] ?? `code ${this.code}`;
  }
}

type Query = Record<string, string | number | undefined>;

export async function call<T>(
  path: string,
  options: { method?: string; query?: Query; body?: unknown; timeoutSeconds?: number } = {},
) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.size > 0 ? `?${params}` : '';
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}${search}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        // grpc-gateway's deadline header: the server gives up (DEADLINE_EXCEEDED) instead of waiting for a worker.
        ...(options.timeoutSeconds === undefined ? {} : { 'grpc-timeout': `${options.timeoutSeconds}S` }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch (error) {
    throw new ApiError(0, 14, `The server cannot be reached (${String(error)}).`, []);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(
      response.status,
      2,
      `The server answered ${response.status} with a body that is not JSON.`,
      [],
    );
  }
  if (!response.ok) {
    const status = json as { code?: number; message?: string; details?: unknown[] };
    throw new ApiError(
      response.status,
      status.code ?? 2,
      status.message ?? response.statusText,
      status.details ?? [],
    );
  }
  return json as T;
}

const enc = encodeURIComponent;

export const ns = (namespace: string) => `/namespaces/${enc(namespace)}`;
export const wf = (namespace: string, workflowId: string) => `${ns(namespace)}/workflows/${enc(workflowId)}`;

/** A client-chosen id so a retried action is not applied twice. */
export const requestId = () => crypto.randomUUID();
export const IDENTITY = 'odin-web-ui';

// --- the JSON shapes the UI reads (only the fields it uses) --------------------------------------------------

export interface Execution {
  workflowId: string;
  runId?: string;
}

export interface Failure {
  message?: string;
  source?: string;
  stackTrace?: string;
  cause?: Failure;
  applicationFailureInfo?: { type?: string; nonRetryable?: boolean; details?: unknown };
  timeoutFailureInfo?: { timeoutType?: string };
  canceledFailureInfo?: { details?: unknown };
  terminatedFailureInfo?: object;
  activityFailureInfo?: { activityType?: { name?: string }; activityId?: string; retryState?: string };
  childWorkflowExecutionFailureInfo?: { workflowExecution?: Execution; workflowType?: { name?: string } };
}

export interface WorkflowExecutionInfo {
  execution: Execution;
  type?: { name?: string };
  startTime?: string;
  closeTime?: string;
  executionTime?: string;
  status?: string;
  historyLength?: string;
  taskQueue?: string;
  parentExecution?: Execution;
  parentNamespaceId?: string;
  memo?: { fields?: Record<string, unknown> };
  searchAttributes?: { indexedFields?: Record<string, unknown> };
  stateTransitionCount?: string;
}

export interface PendingActivityInfo {
  activityId?: string;
  activityType?: { name?: string };
  state?: string;
  heartbeatDetails?: unknown;
  lastHeartbeatTime?: string;
  lastStartedTime?: string;
  attempt?: number;
  maximumAttempts?: number;
  scheduledTime?: string;
  expirationTime?: string;
  lastFailure?: Failure;
  lastWorkerIdentity?: string;
}

export interface PendingChildExecutionInfo {
  workflowId?: string;
  runId?: string;
  workflowTypeName?: string;
  initiatedId?: string;
  parentClosePolicy?: string;
}

export interface DescribeWorkflowResponse {
  executionConfig?: {
    taskQueue?: { name?: string };
    workflowRunTimeout?: string;
    workflowExecutionTimeout?: string;
  };
  workflowExecutionInfo: WorkflowExecutionInfo;
  pendingActivities?: PendingActivityInfo[];
  pendingChildren?: PendingChildExecutionInfo[];
  pendingWorkflowTask?: { state?: string; attempt?: number; scheduledTime?: string };
}

export interface HistoryEvent {
  eventId: string;
  eventTime?: string;
  eventType: string;
  [attributes: string]: unknown;
}

export interface NamespaceEntry {
  namespaceInfo?: { name?: string; state?: string; description?: string; ownerEmail?: string; id?: string };
  config?: { workflowExecutionRetentionTtl?: string };
}

export interface Poller {
  identity?: string;
  lastAccessTime?: string;
  ratePerSecond?: number;
}

// --- calls ---------------------------------------------------------------------------------------------------

export const listNamespaces = () =>
  call<{ namespaces?: NamespaceEntry[] }>('/namespaces', { query: { pageSize: 1000 } });

export const listWorkflows = (namespace: string, query: string, pageSize: number, nextPageToken: string) =>
  call<{ executions?: WorkflowExecutionInfo[]; nextPageToken?: string }>(`${ns(namespace)}/workflows`, {
    query: { query, pageSize, nextPageToken },
  });

export const countWorkflows = (namespace: string, query: string) =>
  call<{ count?: string }>(`${ns(namespace)}/workflow-count`, { query: { query } });

export const describeWorkflow = (namespace: string, execution: Execution) =>
  call<DescribeWorkflowResponse>(wf(namespace, execution.workflowId), {
    query: { 'execution.runId': execution.runId },
  });

export const workflowHistory = (namespace: string, execution: Execution, nextPageToken: string) =>
  call<{ history?: { events?: HistoryEvent[] }; nextPageToken?: string }>(
    `${wf(namespace, execution.workflowId)}/history`,
    { query: { 'execution.runId': execution.runId, maximumPageSize: 250, nextPageToken } },
  );

export const signalWorkflow = (
  namespace: string,
  execution: Execution,
  signalName: string,
  input: unknown[],
) =>
  call<object>(`${wf(namespace, execution.workflowId)}/signal/${enc(signalName)}`, {
    body: { workflowExecution: execution, input, identity: IDENTITY, requestId: requestId() },
  });

export const queryWorkflow = (namespace: string, execution: Execution, queryType: string, args: unknown[]) =>
  call<{ queryResult?: unknown; queryRejected?: { status?: string } }>(
    `${wf(namespace, execution.workflowId)}/query/${enc(queryType)}`,
    { body: { execution, query: { queryArgs: args } }, timeoutSeconds: 10 },
  );

export const cancelWorkflow = (namespace: string, execution: Execution, reason: string) =>
  call<object>(`${wf(namespace, execution.workflowId)}/cancel`, {
    body: { workflowExecution: execution, identity: IDENTITY, requestId: requestId(), reason },
  });

export const terminateWorkflow = (namespace: string, execution: Execution, reason: string) =>
  call<object>(`${wf(namespace, execution.workflowId)}/terminate`, {
    body: { workflowExecution: execution, reason, identity: IDENTITY },
  });

export const resetWorkflow = (namespace: string, execution: Execution, eventId: string, reason: string) =>
  call<{ runId?: string }>(`${wf(namespace, execution.workflowId)}/reset`, {
    body: {
      workflowExecution: execution,
      reason,
      workflowTaskFinishEventId: eventId,
      requestId: requestId(),
      identity: IDENTITY,
    },
  });

export const describeTaskQueue = (
  namespace: string,
  taskQueue: string,
  taskQueueType: 'WORKFLOW' | 'ACTIVITY',
) =>
  call<{ pollers?: Poller[] }>(`${ns(namespace)}/task-queues/${enc(taskQueue)}`, {
    query: { taskQueueType: `TASK_QUEUE_TYPE_${taskQueueType}` },
  });

// --- schedules -------------------------------------------------------------------------------------------------

export interface ScheduleSpec {
  cronString?: string[];
  interval?: { interval?: string; phase?: string }[];
  structuredCalendar?: Record<string, unknown>[];
  calendar?: Record<string, unknown>[];
  timezoneName?: string;
  startTime?: string;
  endTime?: string;
  jitter?: string;
}

export interface ScheduleActionResult {
  scheduleTime?: string;
  actualTime?: string;
  startWorkflowResult?: Execution;
  startWorkflowStatus?: string;
}

export interface ScheduleListEntry {
  scheduleId: string;
  info?: {
    spec?: ScheduleSpec;
    workflowType?: { name?: string };
    notes?: string;
    paused?: boolean;
    recentActions?: ScheduleActionResult[];
    futureActionTimes?: string[];
  };
}

export interface DescribeScheduleResponse {
  schedule?: {
    spec?: ScheduleSpec;
    action?: {
      startWorkflow?: {
        workflowId?: string;
        workflowType?: { name?: string };
        taskQueue?: { name?: string };
        input?: unknown;
      };
    };
    policies?: { overlapPolicy?: string; catchupWindow?: string; pauseOnFailure?: boolean };
    state?: { notes?: string; paused?: boolean; limitedActions?: boolean; remainingActions?: string };
  };
  info?: {
    actionCount?: string;
    missedCatchupWindow?: string;
    overlapSkipped?: string;
    runningWorkflows?: Execution[];
    recentActions?: ScheduleActionResult[];
    futureActionTimes?: string[];
    createTime?: string;
    updateTime?: string;
  };
  memo?: { fields?: Record<string, unknown> };
  searchAttributes?: { indexedFields?: Record<string, unknown> };
}

/** What the create form asks for: one workflow started on a cron string or an interval. */
export interface NewSchedule {
  scheduleId: string;
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  cron: string;
  interval: string;
  input: unknown[];
  paused: boolean;
}

const sc = (namespace: string, scheduleId: string) => `${ns(namespace)}/schedules/${enc(scheduleId)}`;

export const listSchedules = (namespace: string, nextPageToken: string) =>
  call<{ schedules?: ScheduleListEntry[]; nextPageToken?: string }>(`${ns(namespace)}/schedules`, {
    query: { maximumPageSize: 100, nextPageToken },
  });

export const describeSchedule = (namespace: string, scheduleId: string) =>
  call<DescribeScheduleResponse>(sc(namespace, scheduleId));

export const createSchedule = (namespace: string, schedule: NewSchedule) =>
  call<object>(sc(namespace, schedule.scheduleId), {
    body: {
      schedule: {
        spec: {
          ...(schedule.cron ? { cronString: [schedule.cron] } : {}),
          ...(schedule.interval ? { interval: [{ interval: schedule.interval }] } : {}),
        },
        action: {
          startWorkflow: {
            workflowId: schedule.workflowId,
            workflowType: { name: schedule.workflowType },
            taskQueue: { name: schedule.taskQueue },
            input: schedule.input,
          },
        },
        state: { paused: schedule.paused },
      },
      identity: IDENTITY,
      requestId: requestId(),
    },
  });

type SchedulePatch = { pause: string } | { unpause: string } | { triggerImmediately: object };

export const patchSchedule = (namespace: string, scheduleId: string, patch: SchedulePatch) =>
  call<object>(`${sc(namespace, scheduleId)}/patch`, {
    body: { patch, identity: IDENTITY, requestId: requestId() },
  });

export const deleteSchedule = (namespace: string, scheduleId: string) =>
  call<object>(sc(namespace, scheduleId), { method: 'DELETE', query: { identity: IDENTITY } });
