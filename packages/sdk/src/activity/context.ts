import { AsyncLocalStorage } from 'node:async_hooks';

export interface ActivityInfo {
  activityId: string;
  activityType: string;
  taskQueue: string;
  attempt: number;
  workflowNamespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Details of the last heartbeat of an earlier attempt (to resume from). */
  heartbeatDetails: unknown;
  heartbeatTimeoutMs: number | undefined;
  startToCloseTimeoutMs: number | undefined;
  scheduledTime: number | undefined;
  startedTime: number | undefined;
  taskToken: Uint8Array;
  /** True for a local activity (run by the workflow's worker, no task token, no heartbeats). */
  isLocal: boolean;
}

/** What an activity can do while it runs: read its info, heartbeat, and observe cancellation. */
export class ActivityContext {
  constructor(
    readonly info: ActivityInfo,
    /** Aborted when the activity is cancelled, times out locally, or the worker shuts down past its grace period. */
    readonly cancellationSignal: AbortSignal,
    private readonly sendHeartbeat: (details: unknown) => void,
  ) {}

  /** Records progress (throttled) and tells the server the activity is alive; cancellation arrives in reply. */
  heartbeat(details?: unknown): void {
    this.sendHeartbeat(details);
  }

  /** Rejects with the cancellation reason once cancelled. */
  get cancelled(): Promise<never> {
    const signal = this.cancellationSignal;
    return new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  /** The context of the running activity; throws outside an activity. */
  static current(): ActivityContext {
    const context = storage.getStore();
    if (!context) throw new Error('ActivityContext.current() may only be called inside an activity');
    return context;
  }
}

const storage = new AsyncLocalStorage<ActivityContext>();

export function runInActivityContext<T>(context: ActivityContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function activityInfo(): ActivityInfo {
  return ActivityContext.current().info;
}

export function heartbeat(details?: unknown): void {
  ActivityContext.current().heartbeat(details);
}

export function cancellationSignal(): AbortSignal {
  return ActivityContext.current().cancellationSignal;
}
