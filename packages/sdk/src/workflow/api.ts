import {
  type Clock,
  DefaultVersion,
  DeterministicEffectStore,
  HugoError,
  type Result,
  type TimerHandle,
  VersionGate,
} from '@odin/hugo';
import type { QueryDefinition, SignalDefinition, UpdateDefinition, Workflow } from '../common/definitions.js';
import { type Duration, durationMs } from '../common/duration.js';
import { composeInterceptors } from '../common/interceptors.js';
import { activatorStorage } from './activator.js';
import { CancellationScope } from './cancellation-scope.js';
import { requireActivator } from './context.js';
import { DeterminismViolationError, LocalActivityDoBackoff } from './errors.js';
import { EFFECT_MARKER, VERSION_MARKER } from './markers.js';
import type {
  ActivityOptions,
  ChildWorkflowHandle,
  ChildWorkflowOptions,
  LocalActivityOptions,
} from './options.js';
import type { WorkflowInfo } from './workflow-info.js';

export { CancellationScope, isCancellation } from './cancellation-scope.js';
export {
  ContinueAsNew,
  DeterminismViolationError,
  IllegalStateError,
  UnhandledEventError,
} from './errors.js';
export { inWorkflowContext } from './context.js';
export type {
  ActivityCancellationType,
  ActivityOptions,
  ChildWorkflowHandle,
  ChildWorkflowOptions,
  LocalActivityOptions,
} from './options.js';
export type { WorkflowInfo } from './workflow-info.js';
export type * from './interceptors.js';

/**
 * True while the runtime re-executes a workflow task that history already completed. For interceptors and
 * instrumentation only (skip side effects such as exporting spans on replay); workflow logic must not branch on it.
 */
export function isReplaying(): boolean {
  return requireActivator('isReplaying').replaying;
}

/** Facts about the running workflow (ids, type, task queue, attempt, start time, memo, search attributes, ...). */
export function workflowInfo(): WorkflowInfo {
  return requireActivator('workflowInfo').info;
}

/** Pauses the workflow for `duration` on a durable timer; cancelled with the current CancellationScope. */
export function sleep(duration: Duration): Promise<void> {
  const activator = requireActivator('sleep');
  const start = composeInterceptors(activator.outbound, 'startTimer', (input) =>
    activator.timers.start(input.durationMs),
  );
  return start({ durationMs: durationMs(duration) });
}

/**
 * Resolves true once `fn` holds (it is re-checked whenever workflow state may have changed), or false when the
 * optional timeout elapses first.
 */
export function condition(fn: () => boolean, timeout?: Duration): Promise<boolean> {
  return requireActivator('condition').conditions.wait(fn, timeout);
}

/**
 * True when no update handler and no async signal handler is still running: `await condition(allHandlersFinished)`
 * before returning, so no accepted update is left without its result.
 */
export function allHandlersFinished(): boolean {
  return requireActivator('allHandlersFinished').allHandlersFinished;
}

/** Schedules one activity and waits for its result. */
export function executeActivity<R = unknown>(
  activityType: string,
  options: ActivityOptions,
  ...args: unknown[]
): Promise<R> {
  const activator = requireActivator('executeActivity');
  const schedule = composeInterceptors(activator.outbound, 'scheduleActivity', (input) =>
    activator.activities.schedule(input.activityType, input.args, input.options, input.headers),
  );
  return schedule({ activityType, args, options, headers: {} }) as Promise<R>;
}

// biome-ignore lint/suspicious/noExplicitAny: activity signatures are the author's.
type ActivityFunction = (...args: any[]) => unknown;

/** Activities as typed functions: `const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1m' })`. */
export type ActivityInterfaceFor<T> = {
  [K in keyof T]: T[K] extends ActivityFunction
    ? (...args: Parameters<T[K]>) => Promise<Awaited<ReturnType<T[K]>>>
    : never;
};

export function proxyActivities<T = Record<string, ActivityFunction>>(
  options: ActivityOptions,
): ActivityInterfaceFor<T> {
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError('proxyActivities needs startToCloseTimeout or scheduleToCloseTimeout');
  }
  return new Proxy({} as ActivityInterfaceFor<T>, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) => executeActivity(name, options, ...args);
    },
  });
}

/**
 * Runs one local activity — in this worker, without an activity task — and waits for its result; its outcome is
 * recorded as a `core_local_activity` marker, as Temporal's SDKs record it. Failed attempts retry in the worker
 * while the backoff is at most `localRetryThreshold`; a longer backoff waits on a durable timer and schedules the
 * activity again with the next attempt number.
 */
export async function executeLocalActivity<R = unknown>(
  activityType: string,
  options: LocalActivityOptions,
  ...args: unknown[]
): Promise<R> {
  const activator = requireActivator('executeLocalActivity');
  let attempt = 1;
  let originalScheduleTime: number | undefined;
  for (;;) {
    const schedule = composeInterceptors(activator.outbound, 'scheduleLocalActivity', (input) =>
      activator.localActivities.schedule(
        input.activityType,
        input.args,
        input.options,
        input.attempt,
        input.originalScheduleTime,
        input.headers,
      ),
    );
    try {
      return (await schedule({
        activityType,
        args,
        options,
        headers: {},
        attempt,
        originalScheduleTime,
      })) as R;
    } catch (error) {
      if (!(error instanceof LocalActivityDoBackoff)) throw error;
      await activator.timers.start(error.backoffMs);
      attempt = error.attempt;
      originalScheduleTime = error.originalScheduleTime;
    }
  }
}

/** Local activities as typed functions: `const { validate } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '5s' })`. */
export function proxyLocalActivities<T = Record<string, ActivityFunction>>(
  options: LocalActivityOptions,
): ActivityInterfaceFor<T> {
  if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
    throw new TypeError('proxyLocalActivities needs startToCloseTimeout or scheduleToCloseTimeout');
  }
  return new Proxy({} as ActivityInterfaceFor<T>, {
    get(_, name) {
      if (typeof name !== 'string') return undefined;
      return (...args: unknown[]) => executeLocalActivity(name, options, ...args);
    },
  });
}

type Handler<Args extends unknown[], R> = (...args: Args) => R;

/** Options of an update handler. */
export interface UpdateHandlerOptions<Args extends unknown[]> {
  /**
   * Runs before the update is accepted, synchronously, with the update's arguments; throwing rejects the update
   * (nothing is written to history). It must not change workflow state or issue commands: replay does not run it.
   */
  validator?: (...args: Args) => void;
}

/**
 * Registers (or with undefined removes) the handler of a signal, a query or an update. Signals sent earlier are
 * delivered now. An update's handler may be async; its return value (or the failure it throws) is the update's
 * result.
 */
export function setHandler<Ret, Args extends unknown[]>(
  definition: UpdateDefinition<Ret, Args>,
  // The definition alone fixes the types: a handler that ignores its arguments still fits.
  handler: Handler<NoInfer<Args>, NoInfer<Ret> | Promise<NoInfer<Ret>>> | undefined,
  options?: UpdateHandlerOptions<Args>,
): void;
export function setHandler<Args extends unknown[]>(
  definition: SignalDefinition<Args> | string,
  handler: Handler<Args, void | Promise<void>> | undefined,
): void;
export function setHandler<Ret, Args extends unknown[]>(
  definition: QueryDefinition<Ret, Args>,
  handler: Handler<Args, Ret> | undefined,
): void;
export function setHandler(
  definition:
    | SignalDefinition<unknown[]>
    | QueryDefinition<unknown, unknown[]>
    | UpdateDefinition<unknown, unknown[]>
    | string,
  handler: ((...args: unknown[]) => unknown) | undefined,
  options?: UpdateHandlerOptions<unknown[]>,
): void {
  const activator = requireActivator('setHandler');
  if (typeof definition !== 'string' && definition.type === 'update') {
    activator.updates.setHandler(definition.name, handler, options?.validator);
  } else if (typeof definition === 'string' || definition.type === 'signal') {
    activator.signals.setSignalHandler(
      typeof definition === 'string' ? definition : definition.name,
      handler,
    );
  } else {
    activator.signals.setQueryHandler(definition.name, handler);
  }
}

/** Starts a child workflow; resolves once it started. */
export function startChild<W extends Workflow>(
  workflow: W | string,
  options: ChildWorkflowOptions & { args?: Parameters<W> },
): Promise<ChildWorkflowHandle<Awaited<ReturnType<W>>>> {
  const workflowType = typeof workflow === 'string' ? workflow : workflow.name;
  const activator = requireActivator('startChild');
  const start = composeInterceptors(activator.outbound, 'startChildWorkflowExecution', (input) =>
    activator.children.start(input.workflowType, input.args, input.options, input.headers),
  );
  return start({ workflowType, args: options.args ?? [], options, headers: {} }) as Promise<
    ChildWorkflowHandle<Awaited<ReturnType<W>>>
  >;
}

/** Starts a child workflow and waits for its result. */
export async function executeChild<W extends Workflow>(
  workflow: W | string,
  options: ChildWorkflowOptions & { args?: Parameters<W> },
): Promise<Awaited<ReturnType<W>>> {
  const handle = await startChild(workflow, options);
  return handle.result();
}

/** A handle on another workflow: signal it or ask it to cancel. */
export function getExternalWorkflowHandle(workflowId: string, runId = '') {
  const activator = requireActivator('getExternalWorkflowHandle');
  return {
    workflowId,
    runId,
    signal<Args extends unknown[]>(signal: SignalDefinition<Args> | string, ...args: Args): Promise<void> {
      return activator.signalWorkflow({
        workflowId,
        runId,
        signalName: typeof signal === 'string' ? signal : signal.name,
        args,
        childWorkflowOnly: false,
        headers: {},
      });
    },
    cancel(): Promise<void> {
      return activator.externals.requestCancel(workflowId, runId);
    },
  };
}

/** Ends this run and starts a new one of the same workflow (by default) with `args`; never returns. */
export function continueAsNew(
  args: unknown[] = [],
  options: {
    workflowType?: string;
    taskQueue?: string;
    workflowRunTimeout?: Duration;
    workflowTaskTimeout?: Duration;
    memo?: Record<string, unknown>;
  } = {},
): Promise<never> {
  const activator = requireActivator('continueAsNew');
  const continueAsNew = composeInterceptors(activator.outbound, 'continueAsNew', (input) =>
    Promise.reject(
      activator.execution.continueAsNew(input.workflowType, input.args, input.options, input.headers),
    ),
  );
  return continueAsNew({
    workflowType: options.workflowType ?? activator.info.workflowType,
    args,
    options,
    headers: {},
  });
}

export function upsertSearchAttributes(values: Record<string, unknown>): void {
  requireActivator('upsertSearchAttributes').execution.upsertSearchAttributes(values);
}

/** A UUID from the run's seeded random source: the same on every replay. */
export function uuid4(): string {
  return requireActivator('uuid4').uuid4();
}

/**
 * The workflow's own Clock for Hugo primitives: `now()` is workflow time and timers are durable StartTimer
 * commands. (Hugo primitives given no clock use the system clock, whose globals are already the workflow's.)
 */
export const workflowClock: Clock = {
  now: () => requireActivator('workflowClock.now').now,
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const activator = requireActivator('workflowClock.setTimer');
    const scope = new CancellationScope({ cancellable: false });
    let live = true;
    activator.timers.start(Math.max(0, delayMs), scope).then(
      () => {
        if (!live) return;
        live = false;
        callback();
      },
      () => undefined,
    );
    return {
      cancel: () => {
        if (!live) return false;
        live = false;
        scope.cancel();
        return true;
      },
    };
  },
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    const activator = requireActivator('workflowClock.sleep');
    if (!signal) return activator.timers.start(delayMs);
    const scope = new CancellationScope({ cancellable: true, parent: CancellationScope.current() });
    if (signal.aborted) scope.cancel(signal.reason);
    else signal.addEventListener('abort', () => scope.cancel(signal.reason), { once: true });
    return activator.timers.start(delayMs, scope);
  },
};

const effectStores = new WeakMap<object, { effects: DeterministicEffectStore; versions: VersionGate }>();

function deterministicStores() {
  const activator = requireActivator('deterministic stores');
  let stores = effectStores.get(activator);
  if (!stores) {
    stores = {
      effects: new DeterministicEffectStore(activator.markers.store(EFFECT_MARKER), {
        clock: workflowClock,
        scope: null,
      }),
      versions: new VersionGate(activator.markers.store(VERSION_MARKER), {
        clock: workflowClock,
        scope: null,
      }),
    };
    effectStores.set(activator, stores);
  }
  return { activator, ...stores };
}

/**
 * Hugo's DeterministicEffectStore for this run: the effect runs once, outside the deterministic context, and its
 * outcome (success or failure) is recorded as a MarkerRecorded event; replays return the recorded outcome.
 */
export function captureEffect<T>(
  effectId: string,
  effect: (signal: AbortSignal | undefined) => Result<T> | Promise<Result<T>>,
): Promise<Result<T>> {
  const { activator, effects } = deterministicStores();
  const outside = (signal: AbortSignal | undefined) => {
    const running = activatorStorage.exit(() => Promise.resolve(effect(signal)));
    activator.markers.trackEffect(running);
    return running;
  };
  return effects.capture(effectId, outside, CancellationScope.current().signal);
}

/**
 * Runs the synchronous `fn` once, outside the deterministic context, and records its value (or its error) as a
 * marker; replays return the recorded outcome without calling it (`sideEffect` of @temporalio/workflow). Being synchronous, it
 * resolves at the same point on the first run and on replay, even among concurrent branches. For an async
 * effect use `captureEffect`.
 */
export function sideEffect<T>(fn: () => T): Promise<T> {
  const activator = requireActivator('sideEffect');
  const key = activator.markers.nextEffectId();
  let record = activator.markers.lookup(EFFECT_MARKER, key);
  if (!record) {
    let envelope: Record<string, unknown>;
    try {
      const value = activatorStorage.exit(fn);
      if (value instanceof Promise)
        throw new TypeError('sideEffect needs a synchronous function; use captureEffect');
      envelope = { isSuccess: true, type: 'json', value, recordedAt: activator.now };
    } catch (error) {
      envelope = {
        isSuccess: false,
        type: 'json',
        error: HugoError.fromException(error).toJSON(),
        recordedAt: activator.now,
      };
    }
    record = {
      kind: 'hugo.effect',
      version: 0,
      payload: JSON.stringify(envelope),
      recordedAt: activator.now,
    };
    activator.markers.record(EFFECT_MARKER, key, record);
  }
  const stored = JSON.parse(record.payload) as {
    isSuccess: boolean;
    value?: T;
    error?: Parameters<typeof HugoError.fromJSON>[0];
  };
  return stored.isSuccess
    ? Promise.resolve(stored.value as T)
    : Promise.reject(stored.error ? HugoError.fromJSON(stored.error) : HugoError.unspecified());
}

/**
 * Which version of a change this run takes, recorded as a marker in VersionGate's format (kind "hugo.version").
 * A change the history predates (replaying, no marker) yields DefaultVersion (-1); a new run records
 * `maxSupported`. A recorded version outside [minSupported, maxSupported] fails the workflow task. Synchronous,
 * so it is safe in concurrent branches.
 */
export function getVersion(changeId: string, minSupported: number, maxSupported: number): number {
  const activator = requireActivator('getVersion');
  if (minSupported > maxSupported)
    throw new RangeError(`getVersion("${changeId}"): min ${minSupported} > max ${maxSupported}`);
  const record = activator.markers.lookup(VERSION_MARKER, changeId);
  let version: number;
  if (record) {
    version = (JSON.parse(record.payload) as { version: number }).version;
  } else if (activator.replaying) {
    version = DefaultVersion;
  } else {
    version = maxSupported;
    activator.markers.record(VERSION_MARKER, changeId, {
      kind: 'hugo.version',
      version,
      payload: JSON.stringify({ version }),
      recordedAt: activator.now,
    });
  }
  if (version < minSupported || version > maxSupported) {
    throw new DeterminismViolationError(
      `getVersion("${changeId}"): recorded version ${version} is outside the supported range ${minSupported}..${maxSupported}`,
    );
  }
  return version;
}

/** The run's VersionGate itself, for callers that want Hugo's Result-returning `require`. */
export function versionGate(): VersionGate {
  return deterministicStores().versions;
}

export { DefaultVersion, durationMs };
export { defineQuery, defineSignal, defineUpdate } from '../common/definitions.js';
export type { QueryDefinition, SignalDefinition, UpdateDefinition } from '../common/definitions.js';
export {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '../common/failure.js';
