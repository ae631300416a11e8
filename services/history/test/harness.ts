import { randomUUID } from 'node:crypto';
import { temporal } from '@odin/api';
import type {
  AddTaskRequest,
  CallContext,
  MatchingApi,
  NamespaceRef,
  QueryTaskRequest,
  WorkflowServiceRequest,
  WorkflowServiceResponse,
} from '@odin/api';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import type { PersistenceStore } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import { HistoryService } from '../src/index.js';
import type { HistoryOptions } from '../src/index.js';

export const NS: NamespaceRef = { id: '00000000-0000-4000-8000-000000000001', name: 'default' };
export const TASK_QUEUE = 'tq';

type Msg<K extends Parameters<typeof nameOf>[0]> = WorkflowServiceRequest<K>;
declare function nameOf(k: keyof typeof temporal.api.workflowservice.v1): void;

const EventTypeNames = new Map<number, string>(
  Object.entries(temporal.api.enums.v1.EventType).map(([name, value]) => [
    value as number,
    name.replace('EVENT_TYPE_', ''),
  ]),
);

export function eventName(type: number | null | undefined): string {
  return EventTypeNames.get(type ?? 0) ?? `UNKNOWN_${type}`;
}

/** Records every task history hands over; queries are answered by `queryHandler` when set. */
export class FakeMatching implements MatchingApi {
  readonly workflowTasks: AddTaskRequest[] = [];
  readonly activityTasks: AddTaskRequest[] = [];
  readonly queries: QueryTaskRequest[] = [];
  queryHandler?: (req: QueryTaskRequest) => Promise<Msg<'RespondQueryTaskCompletedRequest'>>;
  failAdds = false;

  async addWorkflowTask(_ns: NamespaceRef, req: AddTaskRequest): Promise<void> {
    if (this.failAdds) throw new Error('matching is down');
    this.workflowTasks.push(req);
  }

  async addActivityTask(_ns: NamespaceRef, req: AddTaskRequest): Promise<void> {
    if (this.failAdds) throw new Error('matching is down');
    this.activityTasks.push(req);
  }

  async pollWorkflowTaskQueue(): Promise<WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>> {
    throw new Error('not used');
  }

  async pollActivityTaskQueue(): Promise<WorkflowServiceResponse<'PollActivityTaskQueueResponse'>> {
    throw new Error('not used');
  }

  async dispatchQuery(
    _ns: NamespaceRef,
    req: QueryTaskRequest,
    ctx: CallContext,
  ): Promise<Msg<'RespondQueryTaskCompletedRequest'>> {
    this.queries.push(req);
    if (this.queryHandler) return this.queryHandler(req);
    return new Promise((_resolve, reject) => {
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
    });
  }

  async respondQueryTaskCompleted(): Promise<WorkflowServiceResponse<'RespondQueryTaskCompletedResponse'>> {
    return {};
  }

  async shutdownWorker(): Promise<WorkflowServiceResponse<'ShutdownWorkerResponse'>> {
    return {};
  }

  async describeTaskQueue(): Promise<WorkflowServiceResponse<'DescribeTaskQueueResponse'>> {
    return {};
  }
}

export interface Harness {
  clock: VirtualClock;
  store: PersistenceStore;
  matching: FakeMatching;
  history: HistoryService;
  close(): Promise<void>;
}

export const TEST_OPTIONS: Partial<HistoryOptions> = {
  transferScanIntervalMs: 5_000,
  timerScanIntervalMs: 5_000,
  historyLongPollMs: 20_000,
};

export async function startHistory(
  store: PersistenceStore,
  clock: VirtualClock,
  matching = new FakeMatching(),
  hostId = 'host-a',
  options: Partial<HistoryOptions> = {},
): Promise<{ history: HistoryService; matching: FakeMatching }> {
  const history = new HistoryService(
    { clock, store },
    { matching, shardCount: 4, hostId, options: { ...TEST_OPTIONS, ...options } },
  );
  await history.start();
  return { history, matching };
}

export async function setup(
  url = 'sqlite::memory:',
  options: Partial<HistoryOptions> = {},
): Promise<Harness> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const store = await openStore({ url, migrate: true, clock });
  const { history, matching } = await startHistory(store, clock, new FakeMatching(), 'host-a', options);
  return {
    clock,
    store,
    matching,
    history,
    async close() {
      await history.stop();
      await store.close();
    },
  };
}

export function ctx(deadlineMs?: number): CallContext {
  return { signal: new AbortController().signal, ...(deadlineMs ? { deadline: deadlineMs } : {}) };
}

export async function settle(): Promise<void> {
  await flushMicrotasks(10);
}

export function payloads(text: string): T.api.common.v1.IPayloads {
  return {
    payloads: [
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(text)) },
    ],
  };
}

export function payloadText(p: T.api.common.v1.IPayloads | null | undefined): unknown {
  const data = p?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
}

export async function start(
  h: Harness,
  workflowId: string,
  extra: Partial<Msg<'StartWorkflowExecutionRequest'>> = {},
): Promise<string> {
  return (await startWith(h, workflowId, extra)).runId!;
}

/** Starts a run as a client would and returns the whole response (run id, eager workflow task). */
export async function startWith(
  h: Harness,
  workflowId: string,
  extra: Partial<Msg<'StartWorkflowExecutionRequest'>> = {},
): Promise<WorkflowServiceResponse<'StartWorkflowExecutionResponse'>> {
  const res = await h.history.startWorkflowExecution(
    NS,
    {
      namespace: NS.name,
      workflowId,
      workflowType: { name: 'wf' },
      taskQueue: { name: TASK_QUEUE },
      requestId: randomUUID(),
      identity: 'client',
      input: payloads('in'),
      ...extra,
    },
    ctx(),
  );
  await settle();
  return res;
}

/** Takes the newest workflow task handed to matching for the workflow and records it started. */
export async function pollWorkflowTask(
  h: Harness,
  workflowId: string,
): Promise<WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>> {
  await settle();
  const index = h.matching.workflowTasks.findLastIndex((t) => t.workflowId === workflowId);
  if (index < 0) throw new Error(`no workflow task for ${workflowId}`);
  const [task] = h.matching.workflowTasks.splice(index, 1);
  return h.history.recordWorkflowTaskStarted(
    NS,
    {
      workflowId,
      runId: task!.runId,
      scheduledEventId: task!.scheduledEventId,
      requestId: randomUUID(),
      pollRequest: { namespace: NS.name, taskQueue: { name: TASK_QUEUE }, identity: 'worker' },
    },
    ctx(),
  );
}

export async function pollActivityTask(
  h: Harness,
  workflowId: string,
): Promise<WorkflowServiceResponse<'PollActivityTaskQueueResponse'>> {
  await settle();
  const index = h.matching.activityTasks.findLastIndex((t) => t.workflowId === workflowId);
  if (index < 0) throw new Error(`no activity task for ${workflowId}`);
  const [task] = h.matching.activityTasks.splice(index, 1);
  return h.history.recordActivityTaskStarted(
    NS,
    {
      workflowId,
      runId: task!.runId,
      scheduledEventId: task!.scheduledEventId,
      requestId: randomUUID(),
      pollRequest: { namespace: NS.name, taskQueue: { name: TASK_QUEUE }, identity: 'worker' },
    },
    ctx(),
  );
}

export async function complete(
  h: Harness,
  taskToken: Uint8Array | null | undefined,
  commands: T.api.command.v1.ICommand[],
  extra: Partial<Msg<'RespondWorkflowTaskCompletedRequest'>> = {},
): Promise<void> {
  await h.history.respondWorkflowTaskCompleted(
    NS,
    { namespace: NS.name, taskToken, commands, identity: 'worker', ...extra },
    ctx(),
  );
  await settle();
}

export async function history(
  h: Harness,
  workflowId: string,
  runId = '',
): Promise<T.api.history.v1.IHistoryEvent[]> {
  const res = await h.history.getWorkflowExecutionHistory(
    NS,
    { namespace: NS.name, execution: { workflowId, runId } },
    ctx(),
  );
  return res.history?.events ?? [];
}

export async function eventNames(h: Harness, workflowId: string, runId = ''): Promise<string[]> {
  return (await history(h, workflowId, runId)).map((e) => eventName(e.eventType));
}

const CommandType = temporal.api.enums.v1.CommandType;

export const cmd = {
  activity(activityId: string, extra: Record<string, unknown> = {}) {
    return {
      commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
      scheduleActivityTaskCommandAttributes: {
        activityId,
        activityType: { name: 'act' },
        taskQueue: { name: TASK_QUEUE },
        input: payloads('a'),
        startToCloseTimeout: { seconds: 10 },
        ...extra,
      },
    } as unknown as T.api.command.v1.ICommand;
  },
  timer(timerId: string, seconds: number): T.api.command.v1.ICommand {
    return {
      commandType: CommandType.COMMAND_TYPE_START_TIMER,
      startTimerCommandAttributes: { timerId, startToFireTimeout: { seconds } },
    } as unknown as T.api.command.v1.ICommand;
  },
  cancelTimer(timerId: string): T.api.command.v1.ICommand {
    return { commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId } };
  },
  complete(result: string): T.api.command.v1.ICommand {
    return {
      commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      completeWorkflowExecutionCommandAttributes: { result: payloads(result) },
    };
  },
  fail(message: string): T.api.command.v1.ICommand {
    return {
      commandType: CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
      failWorkflowExecutionCommandAttributes: { failure: { message } },
    };
  },
  startChild(workflowId: string, extra: Record<string, unknown> = {}): T.api.command.v1.ICommand {
    return {
      commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
      startChildWorkflowExecutionCommandAttributes: {
        namespace: NS.name,
        workflowId,
        workflowType: { name: 'child' },
        taskQueue: { name: TASK_QUEUE },
        input: payloads('child-in'),
        ...extra,
      },
    } as T.api.command.v1.ICommand;
  },
  cancelActivity(scheduledEventId: number): T.api.command.v1.ICommand {
    return {
      commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
      requestCancelActivityTaskCommandAttributes: { scheduledEventId },
    } as unknown as T.api.command.v1.ICommand;
  },
};

/** Moves virtual time and lets the timer executors' storage round trips finish. */
export async function advance(h: { clock: VirtualClock }, ms: number): Promise<void> {
  await settle();
  await h.clock.advance(ms);
  await settle();
}

export async function signal(
  h: Harness,
  workflowId: string,
  name: string,
  requestId: string = randomUUID(),
): Promise<void> {
  await h.history.signalWorkflowExecution(
    NS,
    {
      namespace: NS.name,
      workflowExecution: { workflowId },
      signalName: name,
      input: payloads(name),
      requestId,
    },
    ctx(),
  );
  await settle();
}

/** A StartWorkflowExecution request for `workflowId` with a fresh request id, and whatever `extra` sets. */
export function startRequest(workflowId: string, extra: Record<string, unknown> = {}) {
  return {
    namespace: NS.name,
    workflowId,
    workflowType: { name: 'wf' },
    taskQueue: { name: TASK_QUEUE },
    requestId: randomUUID(),
    ...extra,
  };
}
