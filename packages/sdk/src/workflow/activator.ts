import { msToDuration, temporal, timestampToMs, toNumber } from '@odin/api/public';
import { type DeterministicRecord, type DeterministicStateStore, HugoError, isResult } from '@odin/hugo';
import type { Workflow } from '../common/definitions.js';
import { type Duration, durationMs } from '../common/duration.js';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  errorToFailure,
  failureToError,
  retryStateName,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '../common/failure.js';
import {
  firstValue,
  fromPayloadMap,
  fromPayloads,
  type PayloadConverter,
  toPayloads,
} from '../common/payload.js';
import type { ICommand, IHistoryEvent, IPayloads } from '../common/proto-types.js';
import { CancellationScope, isCancellation } from './cancellation-scope.js';
import { markerKey } from './commands.js';
import { activatorStorage, scopeStorage } from './context.js';
import { ContinueAsNew, IllegalStateError } from './errors.js';
import { seededRandom, uuid4From } from './random.js';

const CommandType = temporal.api.enums.v1.CommandType;
const EventType = temporal.api.enums.v1.EventType;

export interface WorkflowInfo {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  firstExecutionRunId: string;
  originalExecutionRunId: string;
  continuedFromExecutionRunId: string | undefined;
  attempt: number;
  cronSchedule: string | undefined;
  executionTimeoutMs: number | undefined;
  runTimeoutMs: number | undefined;
  taskTimeoutMs: number | undefined;
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  parent: { workflowId: string; runId: string; namespace: string } | undefined;
  /** Epoch ms of WorkflowExecutionStarted. */
  startTime: number;
  /** Events up to the current workflow task's WorkflowTaskStarted. */
  historyLength: number;
  lastCompletionResult: unknown;
}

/** Workflow functions by type name (a workflow module's exports qualify). */
export type WorkflowRegistry = Readonly<Record<string, unknown>>;

export type ActivityCancellationType = 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON';

export interface ActivityOptions {
  taskQueue?: string;
  activityId?: string;
  scheduleToCloseTimeout?: Duration;
  scheduleToStartTimeout?: Duration;
  startToCloseTimeout?: Duration;
  heartbeatTimeout?: Duration;
  retry?: import('../common/definitions.js').RetryPolicy;
  /** TRY_CANCEL (default): reject at once and ask the server to cancel. */
  cancellationType?: ActivityCancellationType;
}

export interface ChildWorkflowOptions {
  workflowId?: string;
  taskQueue?: string;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  retry?: import('../common/definitions.js').RetryPolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
  cronSchedule?: string;
  /** TERMINATE (default), ABANDON or REQUEST_CANCEL. */
  parentClosePolicy?: 'TERMINATE' | 'ABANDON' | 'REQUEST_CANCEL';
}

export interface ChildWorkflowHandle<T = unknown> {
  readonly workflowId: string;
  readonly firstExecutionRunId: string;
  result(): Promise<T>;
  signal(name: string, ...args: unknown[]): Promise<void>;
}

export interface PendingCommand {
  readonly command: ICommand;
  /** Called with the history event this command produced, when a replay matched it. */
  readonly onMatched?: (event: IHistoryEvent) => void;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise: handled(promise), resolve, reject };
}

/**
 * Marks a promise handed to workflow code as observed: a timer or activity cancelled along with its scope but
 * never awaited must not surface as an unhandled rejection (which would take the worker process down). Code that
 * awaits the promise still sees the rejection.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

interface ActivityState {
  readonly activityId: string;
  readonly activityType: string;
  readonly deferred: Deferred<unknown>;
  scheduledEventId?: number;
}

interface ChildState {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly started: Deferred<string>;
  readonly result: Deferred<unknown>;
  runId?: string;
}

interface Condition {
  readonly fn: () => boolean;
  readonly resolve: (value: boolean) => void;
}

type Handler = (...args: unknown[]) => unknown;

export const EFFECT_MARKER = 'odin.effect';
export const VERSION_MARKER = 'odin.version';

const decoder = new TextDecoder();

/**
 * The state of one workflow run while its history is replayed and its next commands are produced: the commands
 * the code issues, the pending timers/activities/children they stand for, signal and query handlers, conditions,
 * the workflow's time and random source, and the run's markers.
 */
export class WorkflowActivator {
  info: WorkflowInfo;
  /** Workflow time: the current workflow task's WorkflowTaskStarted time. */
  now = 0;
  readonly random: () => number;
  /** True while re-executing a workflow task that history already completed. */
  replaying = false;
  readonly rootScope = new CancellationScope({ cancellable: true });

  private commands: PendingCommand[] = [];
  private completed = false;
  /** A bug in the workflow code: the task fails (and is retried) instead of the workflow. */
  taskFailure: unknown;
  private readonly seq = { timer: 0, activity: 0, child: 0, external: 0, effect: 0 };
  private readonly timers = new Map<string, { resolve(): void; cancel(): void }>();
  private readonly activities = new Map<string, ActivityState>();
  private readonly activitiesByEvent = new Map<number, string>();
  private readonly children = new Map<number, ChildState>();
  private readonly childrenByEvent = new Map<number, number>();
  private readonly externals = new Map<number, Deferred<void>>();
  private readonly externalsByEvent = new Map<number, number>();
  private readonly signalHandlers = new Map<string, Handler>();
  private readonly bufferedSignals: { name: string; args: unknown[] }[] = [];
  private readonly queryHandlers = new Map<string, Handler>();
  private readonly conditions = new Set<Condition>();
  private readonly pendingEffects = new Set<Promise<unknown>>();
  private readonly markersInHistory = new Map<string, DeterministicRecord>();
  private readonly markersRecorded = new Map<string, DeterministicRecord>();

  constructor(
    readonly workflows: WorkflowRegistry,
    readonly converter: PayloadConverter,
    base: { namespace: string; workflowId: string; runId: string; workflowType: string },
    history: readonly IHistoryEvent[],
  ) {
    const started = history[0]?.workflowExecutionStartedEventAttributes;
    if (!started) throw new IllegalStateError('A workflow history must begin with WorkflowExecutionStarted');
    this.info = {
      namespace: base.namespace,
      workflowId: base.workflowId,
      runId: base.runId,
      workflowType: base.workflowType || started.workflowType?.name || '',
      taskQueue: started.taskQueue?.name ?? '',
      firstExecutionRunId: started.firstExecutionRunId || base.runId,
      originalExecutionRunId: started.originalExecutionRunId || base.runId,
      continuedFromExecutionRunId: started.continuedExecutionRunId || undefined,
      attempt: started.attempt || 1,
      cronSchedule: started.cronSchedule || undefined,
      executionTimeoutMs: durationOf(started.workflowExecutionTimeout),
      runTimeoutMs: durationOf(started.workflowRunTimeout),
      taskTimeoutMs: durationOf(started.workflowTaskTimeout),
      memo: fromPayloadMap(converter, started.memo?.fields),
      searchAttributes: fromPayloadMap(converter, started.searchAttributes?.indexedFields),
      parent: started.parentWorkflowExecution?.workflowId
        ? {
            workflowId: started.parentWorkflowExecution.workflowId,
            runId: started.parentWorkflowExecution.runId ?? '',
            namespace: started.parentWorkflowNamespace ?? base.namespace,
          }
        : undefined,
      startTime: timestampToMs(history[0]?.eventTime) ?? 0,
      historyLength: 0,
      lastCompletionResult: started.lastCompletionResult
        ? firstValue(converter, started.lastCompletionResult)
        : undefined,
    };
    // Seeded from the original run id, which every replay of this run (and a reset of it) sees.
    this.random = seededRandom(this.info.originalExecutionRunId || base.runId);
    for (const event of history) {
      const marker = event.markerRecordedEventAttributes;
      if (event.eventType !== EventType.EVENT_TYPE_MARKER_RECORDED || !marker) continue;
      const record = marker.details?.['record']?.payloads?.[0];
      if (!record?.data) continue;
      this.markersInHistory.set(
        `${marker.markerName}|${markerKey(marker.details)}`,
        JSON.parse(decoder.decode(record.data)) as DeterministicRecord,
      );
    }
  }

  get isCompleted(): boolean {
    return this.completed;
  }

  // ---- commands -------------------------------------------------------------------------------------------

  private push(pending: PendingCommand): void {
    if (this.completed) return;
    if (!activatorStorage.getStore()) {
      throw new IllegalStateError('Workflow commands may only be issued from workflow code');
    }
    this.commands.push(pending);
    if (TERMINAL.has(pending.command.commandType ?? 0)) this.completed = true;
  }

  /** Drops a command issued in this activation that was not sent yet; false when it is already in history. */
  private unsend(pending: PendingCommand): boolean {
    const index = this.commands.indexOf(pending);
    if (index < 0) return false;
    this.commands.splice(index, 1);
    return true;
  }

  /** The commands of the activation just run; the list starts empty for the next one. */
  takeCommands(): PendingCommand[] {
    const taken = this.commands;
    this.commands = [];
    return taken;
  }

  // ---- timers ---------------------------------------------------------------------------------------------

  /** A durable timer (StartTimer command). Zero or negative delays resolve without a command. */
  startTimer(
    delay: Duration,
    scope: CancellationScope | undefined = CancellationScope.current(),
  ): Promise<void> {
    const ms = durationMs(delay);
    if (scope?.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    if (ms <= 0) return Promise.resolve();
    const timerId = String(++this.seq.timer);
    const pending: PendingCommand = {
      command: {
        commandType: CommandType.COMMAND_TYPE_START_TIMER,
        startTimerCommandAttributes: { timerId, startToFireTimeout: msToDuration(Math.ceil(ms)) as never },
      },
    };
    this.push(pending);
    const { promise, resolve, reject } = deferred<void>();
    let unsubscribe = () => {};
    const cancel = (reason: unknown) => {
      if (!this.timers.delete(timerId)) return;
      unsubscribe();
      if (!this.unsend(pending)) {
        this.push({
          command: {
            commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER,
            cancelTimerCommandAttributes: { timerId },
          },
        });
      }
      reject(reason);
    };
    this.timers.set(timerId, {
      resolve: () => {
        unsubscribe();
        resolve();
      },
      cancel: () => cancel(new CancelledFailure('Timer cancelled')),
    });
    if (scope) unsubscribe = scope.onCancel((reason) => cancel(reason));
    return promise;
  }

  /** Cancels a timer by id (clearTimeout in workflow code); false when it already fired. */
  cancelTimer(timerId: string): boolean {
    const timer = this.timers.get(timerId);
    if (!timer) return false;
    timer.cancel();
    return true;
  }

  /** The id the next timer will get (setTimeout handles expose it). */
  peekNextTimerId(): string {
    return String(this.seq.timer + 1);
  }

  // ---- activities -----------------------------------------------------------------------------------------

  scheduleActivity(activityType: string, args: unknown[], options: ActivityOptions): Promise<unknown> {
    const scope = CancellationScope.current();
    const seq = ++this.seq.activity;
    const activityId = options.activityId ?? String(seq);
    if (options.startToCloseTimeout === undefined && options.scheduleToCloseTimeout === undefined) {
      throw new TypeError(
        `Activity ${activityType} needs startToCloseTimeout or scheduleToCloseTimeout in its options`,
      );
    }
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const state: ActivityState = { activityId, activityType, deferred: deferred() };
    const pending: PendingCommand = {
      command: {
        commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: {
          activityId,
          activityType: { name: activityType },
          taskQueue: { name: options.taskQueue ?? this.info.taskQueue },
          input: toPayloads(this.converter, args) ?? null,
          scheduleToCloseTimeout: protoDuration(options.scheduleToCloseTimeout),
          scheduleToStartTimeout: protoDuration(options.scheduleToStartTimeout),
          startToCloseTimeout: protoDuration(options.startToCloseTimeout),
          heartbeatTimeout: protoDuration(options.heartbeatTimeout),
          retryPolicy: retryPolicyOf(options.retry),
        },
      },
      onMatched: (event) => {
        state.scheduledEventId = toNumber(event.eventId);
        this.activitiesByEvent.set(state.scheduledEventId, activityId);
      },
    };
    this.push(pending);
    this.activities.set(activityId, state);
    const cancellationType = options.cancellationType ?? 'TRY_CANCEL';
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.activities.has(activityId)) return;
      if (this.unsend(pending) || cancellationType === 'ABANDON') {
        this.activities.delete(activityId);
        state.deferred.reject(reason);
        return;
      }
      this.push({
        command: {
          commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
          requestCancelActivityTaskCommandAttributes: {
            scheduledEventId: (state.scheduledEventId ?? 0) as never,
          },
        },
      });
      if (cancellationType === 'TRY_CANCEL') {
        this.activities.delete(activityId);
        state.deferred.reject(reason);
      }
    });
    return handled(state.deferred.promise.finally(unsubscribe));
  }

  private settleActivity(scheduledEventId: number, settle: (state: ActivityState) => void): void {
    const activityId = this.activitiesByEvent.get(scheduledEventId);
    const state = activityId === undefined ? undefined : this.activities.get(activityId);
    if (!state || activityId === undefined) return;
    this.activities.delete(activityId);
    settle(state);
  }

  // ---- child workflows and external workflows -------------------------------------------------------------

  startChildWorkflow(
    workflowType: string,
    args: unknown[],
    options: ChildWorkflowOptions,
  ): Promise<ChildWorkflowHandle> {
    const scope = CancellationScope.current();
    const seq = ++this.seq.child;
    const workflowId = options.workflowId ?? this.uuid4();
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const state: ChildState = { workflowId, workflowType, started: deferred(), result: deferred() };
    state.result.promise.catch(() => undefined);
    const closePolicy = temporal.api.enums.v1.ParentClosePolicy;
    const pending: PendingCommand = {
      command: {
        commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        startChildWorkflowExecutionCommandAttributes: {
          namespace: this.info.namespace,
          workflowId,
          workflowType: { name: workflowType },
          taskQueue: { name: options.taskQueue ?? this.info.taskQueue },
          input: toPayloads(this.converter, args) ?? null,
          workflowExecutionTimeout: protoDuration(options.workflowExecutionTimeout),
          workflowRunTimeout: protoDuration(options.workflowRunTimeout),
          workflowTaskTimeout: protoDuration(options.workflowTaskTimeout),
          parentClosePolicy: closePolicy[`PARENT_CLOSE_POLICY_${options.parentClosePolicy ?? 'TERMINATE'}`],
          retryPolicy: retryPolicyOf(options.retry),
          cronSchedule: options.cronSchedule ?? '',
          memo: options.memo ? { fields: payloadMap(this.converter, options.memo) } : null,
          searchAttributes: options.searchAttributes
            ? { indexedFields: payloadMap(this.converter, options.searchAttributes) }
            : null,
        },
      },
      onMatched: (event) => this.childrenByEvent.set(toNumber(event.eventId), seq),
    };
    this.push(pending);
    this.children.set(seq, state);
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.children.has(seq)) return;
      if (this.unsend(pending)) {
        this.children.delete(seq);
        state.started.reject(reason);
        state.result.reject(reason);
        return;
      }
      this.requestCancelExternal(workflowId, state.runId ?? '', true).catch(() => undefined);
    });
    state.result.promise.then(unsubscribe, unsubscribe);
    return handled(
      state.started.promise.then((runId) => ({
        workflowId,
        firstExecutionRunId: runId,
        result: () => state.result.promise,
        signal: (name: string, ...signalArgs: unknown[]) =>
          this.signalExternal(workflowId, runId, name, signalArgs, true),
      })),
    );
  }

  private settleChild(initiatedEventId: number, settle: (state: ChildState) => void, done: boolean): void {
    const seq = this.childrenByEvent.get(initiatedEventId);
    const state = seq === undefined ? undefined : this.children.get(seq);
    if (!state || seq === undefined) return;
    if (done) this.children.delete(seq);
    settle(state);
  }

  signalExternal(
    workflowId: string,
    runId: string,
    signalName: string,
    args: unknown[],
    childWorkflowOnly = false,
  ): Promise<void> {
    const seq = ++this.seq.external;
    const result = deferred<void>();
    this.push({
      command: {
        commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: {
          namespace: this.info.namespace,
          execution: { workflowId, runId },
          signalName,
          input: toPayloads(this.converter, args) ?? null,
          control: String(seq),
          childWorkflowOnly,
        },
      },
      onMatched: (event) => this.externalsByEvent.set(toNumber(event.eventId), seq),
    });
    this.externals.set(seq, result);
    return result.promise;
  }

  requestCancelExternal(workflowId: string, runId: string, childWorkflowOnly = false): Promise<void> {
    const seq = ++this.seq.external;
    const result = deferred<void>();
    this.push({
      command: {
        commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        requestCancelExternalWorkflowExecutionCommandAttributes: {
          namespace: this.info.namespace,
          workflowId,
          runId,
          control: String(seq),
          childWorkflowOnly,
        },
      },
      onMatched: (event) => this.externalsByEvent.set(toNumber(event.eventId), seq),
    });
    this.externals.set(seq, result);
    return result.promise;
  }

  private settleExternal(initiatedEventId: number, error?: unknown): void {
    const seq = this.externalsByEvent.get(initiatedEventId);
    const result = seq === undefined ? undefined : this.externals.get(seq);
    if (!result || seq === undefined) return;
    this.externals.delete(seq);
    if (error) result.reject(error);
    else result.resolve();
  }

  // ---- search attributes, continue-as-new -----------------------------------------------------------------

  upsertSearchAttributes(values: Record<string, unknown>): void {
    this.push({
      command: {
        commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsertWorkflowSearchAttributesCommandAttributes: {
          searchAttributes: { indexedFields: payloadMap(this.converter, values) },
        },
      },
    });
    Object.assign(this.info.searchAttributes, values);
  }

  continueAsNewCommand(
    workflowType: string,
    args: unknown[],
    options: {
      taskQueue?: string;
      workflowRunTimeout?: Duration;
      workflowTaskTimeout?: Duration;
      memo?: Record<string, unknown>;
    },
  ): ContinueAsNew {
    return new ContinueAsNew({
      commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
      continueAsNewWorkflowExecutionCommandAttributes: {
        workflowType: { name: workflowType },
        taskQueue: { name: options.taskQueue ?? this.info.taskQueue },
        input: toPayloads(this.converter, args) ?? null,
        workflowRunTimeout: protoDuration(options.workflowRunTimeout ?? this.info.runTimeoutMs),
        workflowTaskTimeout: protoDuration(options.workflowTaskTimeout ?? this.info.taskTimeoutMs),
        memo: options.memo ? { fields: payloadMap(this.converter, options.memo) } : null,
      },
    });
  }

  // ---- markers (side effects and versions) ----------------------------------------------------------------

  /**
   * The record of marker `key`: one this run recorded, or one history recorded at this point before (then the
   * same RecordMarker command is issued so replay matches it). Undefined when neither exists.
   */
  lookupMarker(markerName: string, key: string): DeterministicRecord | undefined {
    const k = `${markerName}|${JSON.stringify(key)}`;
    const own = this.markersRecorded.get(k);
    if (own) return own;
    const fromHistory = this.markersInHistory.get(k);
    if (fromHistory) this.recordMarker(markerName, key, fromHistory);
    return fromHistory;
  }

  /** Records marker `key` (a RecordMarker command carrying the key and the record). */
  recordMarker(markerName: string, key: string, record: DeterministicRecord): void {
    this.markersRecorded.set(`${markerName}|${JSON.stringify(key)}`, record);
    this.push({
      command: {
        commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
        recordMarkerCommandAttributes: {
          markerName,
          details: {
            key: toPayloads(this.converter, [key])!,
            record: toPayloads(this.converter, [record])!,
          },
        },
      },
    });
  }

  /** A DeterministicStateStore (for Hugo's DeterministicEffectStore and VersionGate) over this run's markers. */
  markerStore(markerName: string): DeterministicStateStore {
    return {
      get: async (key) => this.lookupMarker(markerName, key),
      set: async (key, value) => this.recordMarker(markerName, key, value),
      tryAdd: async (key, value) => {
        if (this.hasMarker(markerName, key)) return false;
        this.recordMarker(markerName, key, value);
        return true;
      },
    };
  }

  hasMarker(markerName: string, key: string): boolean {
    const k = `${markerName}|${JSON.stringify(key)}`;
    return this.markersRecorded.has(k) || this.markersInHistory.has(k);
  }

  nextEffectId(): string {
    return `side-effect-${++this.seq.effect}`;
  }

  /** Live effects must finish before the activation is considered settled. */
  trackEffect(promise: Promise<unknown>): void {
    this.pendingEffects.add(promise);
    promise.then(
      () => this.pendingEffects.delete(promise),
      () => this.pendingEffects.delete(promise),
    );
  }

  uuid4(): string {
    return uuid4From(this.random);
  }

  // ---- handlers and conditions ----------------------------------------------------------------------------

  setSignalHandler(name: string, handler: Handler | undefined): void {
    if (!handler) {
      this.signalHandlers.delete(name);
      return;
    }
    this.signalHandlers.set(name, handler);
    for (let i = 0; i < this.bufferedSignals.length; ) {
      const buffered = this.bufferedSignals[i]!;
      if (buffered.name === name) {
        this.bufferedSignals.splice(i, 1);
        this.invokeHandler(handler, buffered.args);
      } else i++;
    }
  }

  setQueryHandler(name: string, handler: Handler | undefined): void {
    if (handler) this.queryHandlers.set(name, handler);
    else this.queryHandlers.delete(name);
  }

  condition(fn: () => boolean, timeout?: Duration): Promise<boolean> {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const result = deferred<boolean>();
    const timerScope = timeout === undefined ? undefined : new CancellationScope({ parent: scope });
    const entry: Condition = {
      fn,
      resolve: (value) => {
        this.conditions.delete(entry);
        unsubscribe();
        timerScope?.cancel();
        result.resolve(value);
      },
    };
    this.conditions.add(entry);
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.conditions.delete(entry)) return;
      result.reject(reason);
    });
    if (timerScope && timeout !== undefined) {
      this.startTimer(timeout, timerScope).then(
        () => {
          if (this.conditions.has(entry)) entry.resolve(false);
        },
        () => undefined,
      );
    }
    return result.promise;
  }

  /** Resolves every condition that now holds; true when one did (its continuation may change state). */
  private checkConditions(): boolean {
    let any = false;
    for (const entry of [...this.conditions]) {
      let holds = false;
      try {
        holds = entry.fn();
      } catch (error) {
        this.conditions.delete(entry);
        this.failWith(error);
        continue;
      }
      if (holds) {
        entry.resolve(true);
        any = true;
      }
    }
    return any;
  }

  private invokeHandler(handler: Handler, args: unknown[]): void {
    try {
      const outcome = handler(...args);
      if (outcome instanceof Promise) outcome.catch((error: unknown) => this.failWith(error));
    } catch (error) {
      this.failWith(error);
    }
  }

  // ---- completion -----------------------------------------------------------------------------------------

  private completeWith(value: unknown): void {
    if (this.completed) return;
    if (isResult(value)) {
      if (!value.ok) {
        this.failWith(ApplicationFailure.fromHugoError(value.error, true));
        return;
      }
      value = value.value;
    }
    this.push({
      command: {
        commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        completeWorkflowExecutionCommandAttributes: { result: toPayloads(this.converter, [value]) ?? null },
      },
    });
  }

  /** How a failure escaping workflow code ends: continue-as-new, cancel, fail the workflow, or fail the task. */
  failWith(error: unknown): void {
    if (this.completed || this.taskFailure !== undefined) return;
    if (error instanceof ContinueAsNew) {
      this.push({ command: error.command });
    } else if (isCancellation(error) && this.rootScope.consideredCancelled) {
      this.push({
        command: {
          commandType: CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
          cancelWorkflowExecutionCommandAttributes: {},
        },
      });
    } else if (isWorkflowFailure(error)) {
      this.push({
        command: {
          commandType: CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
          failWorkflowExecutionCommandAttributes: { failure: errorToFailure(error, this.converter) },
        },
      });
    } else {
      this.taskFailure = error ?? new Error('Workflow code threw undefined');
    }
  }

  // ---- activation -----------------------------------------------------------------------------------------

  /** Applies one history event to the run (inside the workflow context). */
  applyEvent(event: IHistoryEvent): void {
    const c = this.converter;
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        this.startWorkflow(event);
        return;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const a = event.workflowExecutionSignaledEventAttributes!;
        const name = a.signalName ?? '';
        const args = fromPayloads(c, a.input);
        const handler = this.signalHandlers.get(name);
        if (handler) this.invokeHandler(handler, args);
        else this.bufferedSignals.push({ name, args });
        return;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        this.rootScope.cancel(new CancelledFailure('Workflow cancellation requested'));
        return;
      case EventType.EVENT_TYPE_TIMER_FIRED: {
        const timerId = event.timerFiredEventAttributes?.timerId ?? '';
        const timer = this.timers.get(timerId);
        if (timer) {
          this.timers.delete(timerId);
          timer.resolve();
        }
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = event.activityTaskCompletedEventAttributes!;
        this.settleActivity(toNumber(a.scheduledEventId), (s) => s.deferred.resolve(firstValue(c, a.result)));
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const a = event.activityTaskFailedEventAttributes!;
        this.settleActivity(toNumber(a.scheduledEventId), (s) =>
          s.deferred.reject(
            new ActivityFailure(
              'Activity task failed',
              s.activityType,
              s.activityId,
              retryStateName(a.retryState),
              failureToError(a.failure ?? {}, c),
            ),
          ),
        );
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const a = event.activityTaskTimedOutEventAttributes!;
        this.settleActivity(toNumber(a.scheduledEventId), (s) =>
          s.deferred.reject(
            new ActivityFailure(
              'Activity task timed out',
              s.activityType,
              s.activityId,
              retryStateName(a.retryState),
              failureToError(a.failure ?? {}, c),
            ),
          ),
        );
        return;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: {
        const a = event.activityTaskCanceledEventAttributes!;
        this.settleActivity(toNumber(a.scheduledEventId), (s) =>
          s.deferred.reject(
            new ActivityFailure(
              'Activity task cancelled',
              s.activityType,
              s.activityId,
              'CANCEL_REQUESTED',
              new CancelledFailure('Activity cancelled', fromPayloads(c, a.details)),
            ),
          ),
        );
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const a = event.childWorkflowExecutionStartedEventAttributes!;
        this.settleChild(
          toNumber(a.initiatedEventId),
          (s) => {
            s.runId = a.workflowExecution?.runId ?? '';
            s.started.resolve(s.runId);
          },
          false,
        );
        return;
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: {
        const a = event.startChildWorkflowExecutionFailedEventAttributes!;
        this.settleChild(
          toNumber(a.initiatedEventId),
          (s) => {
            const error = new ApplicationFailure({
              message: `Child workflow ${s.workflowId} could not be started (workflow id already in use)`,
              type: 'WorkflowExecutionAlreadyStarted',
              nonRetryable: true,
            });
            s.started.reject(error);
            s.result.reject(error);
          },
          true,
        );
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: {
        const a = event.childWorkflowExecutionCompletedEventAttributes!;
        this.settleChild(
          toNumber(a.initiatedEventId),
          (s) => s.result.resolve(firstValue(c, a.result)),
          true,
        );
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: {
        const a = event.childWorkflowExecutionFailedEventAttributes!;
        this.childFailed(
          toNumber(a.initiatedEventId),
          retryStateName(a.retryState),
          failureToError(a.failure ?? {}, c),
        );
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: {
        const a = event.childWorkflowExecutionCanceledEventAttributes!;
        this.childFailed(
          toNumber(a.initiatedEventId),
          'NON_RETRYABLE_FAILURE',
          new CancelledFailure('Child workflow cancelled'),
        );
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: {
        const a = event.childWorkflowExecutionTimedOutEventAttributes!;
        this.childFailed(
          toNumber(a.initiatedEventId),
          retryStateName(a.retryState),
          new TimeoutFailure('Child workflow timed out', 'START_TO_CLOSE'),
        );
        return;
      }
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: {
        const a = event.childWorkflowExecutionTerminatedEventAttributes!;
        this.childFailed(toNumber(a.initiatedEventId), 'NON_RETRYABLE_FAILURE', new TerminatedFailure());
        return;
      }
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        this.settleExternal(
          toNumber(event.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId),
        );
        return;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        this.settleExternal(
          toNumber(event.signalExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId),
          new ApplicationFailure({
            message: 'Unable to signal external workflow: not found',
            type: 'ExternalWorkflowExecutionNotFound',
          }),
        );
        return;
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        this.settleExternal(
          toNumber(event.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId),
        );
        return;
      case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        this.settleExternal(
          toNumber(event.requestCancelExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId),
          new ApplicationFailure({
            message: 'Unable to cancel external workflow: not found',
            type: 'ExternalWorkflowExecutionNotFound',
          }),
        );
        return;
      default:
        return;
    }
  }

  private childFailed(initiatedEventId: number, retryState: string, cause: Error): void {
    this.settleChild(
      initiatedEventId,
      (s) => {
        const error = new ChildWorkflowFailure(
          'Child workflow execution failed',
          s.workflowType,
          s.workflowId,
          s.runId ?? '',
          retryState,
          cause,
        );
        s.started.reject(error);
        s.result.reject(error);
      },
      true,
    );
  }

  private startWorkflow(event: IHistoryEvent): void {
    const attributes = event.workflowExecutionStartedEventAttributes!;
    const fn = this.workflows[this.info.workflowType];
    if (typeof fn !== 'function') {
      const known = Object.keys(this.workflows).filter((k) => typeof this.workflows[k] === 'function');
      this.taskFailure = new IllegalStateError(
        `Workflow type "${this.info.workflowType}" is not registered on this worker; known types: ${known.join(', ') || '(none)'}`,
      );
      return;
    }
    const args = fromPayloads(this.converter, attributes.input);
    let outcome: Promise<unknown>;
    try {
      outcome = scopeStorage.run(this.rootScope, () => Promise.resolve((fn as Workflow)(...args)));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (value) => this.completeWith(value),
      (error: unknown) => this.failWith(error),
    );
  }

  /** Delivers the events of one workflow task and lets the workflow run until it blocks. */
  async activate(events: readonly IHistoryEvent[], now: number, historyLength: number): Promise<void> {
    this.now = now;
    this.info.historyLength = historyLength;
    activatorStorage.run(this, () => {
      for (const event of events) {
        if (this.taskFailure !== undefined) break;
        this.applyEvent(event);
      }
    });
    await this.settle();
  }

  /** Waits until no microtask, live side effect or satisfiable condition is left. */
  private async settle(): Promise<void> {
    for (;;) {
      await nextMacrotask();
      if (this.pendingEffects.size > 0) {
        await Promise.allSettled([...this.pendingEffects]);
        continue;
      }
      if (this.taskFailure !== undefined) return;
      if (activatorStorage.run(this, () => this.checkConditions())) continue;
      return;
    }
  }

  /** Runs a query handler against the current state; queries may not issue commands. */
  query(name: string, args: unknown[]): unknown {
    const handler = this.queryHandlers.get(name);
    if (!handler) {
      const known = [...this.queryHandlers.keys()];
      throw new IllegalStateError(
        `Workflow ${this.info.workflowType} has no query handler for "${name}"; registered: ${known.join(', ') || '(none)'}`,
      );
    }
    const before = this.commands.length;
    const value = activatorStorage.run(this, () => handler(...args));
    if (this.commands.length !== before || value instanceof Promise) {
      this.commands.length = before;
      throw new IllegalStateError(`Query handler "${name}" must be synchronous and must not issue commands`);
    }
    return value;
  }
}

const FAILURE_NAMES = new Set([
  'TemporalFailure',
  'ApplicationFailure',
  'CancelledFailure',
  'TimeoutFailure',
  'TerminatedFailure',
  'ServerFailure',
  'ActivityFailure',
  'ChildWorkflowFailure',
]);

/** Failures that fail the workflow; by class, or by name when workflow code loaded another copy of the SDK. */
function isWorkflowFailure(error: unknown): boolean {
  if (error instanceof TemporalFailure || error instanceof HugoError) return true;
  return error instanceof Error && (FAILURE_NAMES.has(error.name) || error.constructor?.name === 'HugoError');
}

const TERMINAL = new Set<number>([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

// The real setImmediate, captured before any workflow global is replaced.
const realSetImmediate = globalThis.setImmediate;

/** One event-loop turn: every microtask queued by workflow code has run when it resolves. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

function durationOf(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!d) return undefined;
  const ms = toNumber(d.seconds as number) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}

function protoDuration(value: Duration | undefined): never {
  return (value === undefined ? null : msToDuration(durationMs(value))) as never;
}

function retryPolicyOf(policy: ActivityOptions['retry']): never {
  if (!policy) return null as never;
  return {
    initialInterval: protoDuration(policy.initialInterval),
    backoffCoefficient: policy.backoffCoefficient ?? null,
    maximumInterval: protoDuration(policy.maximumInterval),
    maximumAttempts: policy.maximumAttempts ?? null,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes ?? [],
  } as never;
}

function payloadMap(converter: PayloadConverter, values: Record<string, unknown>) {
  const out: Record<string, ReturnType<PayloadConverter['toPayload']>> = {};
  for (const [key, value] of Object.entries(values)) out[key] = converter.toPayload(value);
  return out;
}

export type { IPayloads };
