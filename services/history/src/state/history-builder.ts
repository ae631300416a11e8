import type { temporal as T } from '@temporalio/proto';
import { msToTimestamp, ownedUtf8, temporal, toNumber } from '@odin/api';
import type { CurrentExecution, CurrentExecutionMode, OutboxTask } from '@odin/persistence';
import { decodeEvent, encodeEvent, fromBase64, toBase64 } from '../util/codec.js';
import type { HistoryEvent } from '../util/codec.js';
import { workflowTaskInFlight } from './mutable-state.js';
import type { MutableState } from './mutable-state.js';

export const EventType = temporal.api.enums.v1.EventType;
export type EventTypeValue = T.api.enums.v1.EventType;

/** Placeholder started id in a buffered activity close event: the id its buffered Started event gets at flush. */
export const STARTED_AT_FLUSH = -1;

export type TransferTaskType =
  | 'workflow-task'
  | 'activity-task'
  | 'start-child'
  | 'close-execution'
  | 'parent-close'
  | 'signal-external'
  | 'cancel-external';
export type TimerTaskType =
  | 'user-timer'
  | 'activity-timeout'
  | 'activity-retry'
  | 'workflow-task-timeout'
  | 'workflow-task-schedule-to-start'
  | 'workflow-run-timeout'
  | 'workflow-execution-timeout'
  | 'workflow-backoff'
  | 'delete-execution';

/** A run created in the same transaction as the transition that decided it (a start, continue-as-new, retry, cron). */
export interface NewRun {
  /** The new run's first transition. */
  readonly mut: Mutation;
  /** How the workflow's current-run row changes (brand new, or replacing the run that was current). */
  readonly current: CurrentExecutionMode;
  readonly requestId: string;
}

/** What the engine hands the code that decides whether a request creates a run, under the workflow's lock. */
export interface CreateScope {
  /** The workflow's current run as the store has it; null when the workflow id was never used. */
  readonly current: CurrentExecution | null;
  /** The transition's clock reading and id source (see Mutation). */
  readonly now: number;
  readonly uuid: () => string;
  /** A working copy of a run of this workflow, committed in the same transaction as the new run. */
  open(runId: string): Promise<Mutation>;
}

/** What that code decides: the answer, and the new run unless the request is answered without one. */
export interface Creation<R> {
  readonly result: R;
  readonly create?: NewRun;
}

/**
 * One transition being built on a working copy of mutable state: the events it appends (ids given here, contiguous
 * from the run's nextEventId), the events it buffers, the outbox tasks it writes. Nothing here touches storage or the
 * committed state: the engine commits the result in one transaction, or drops the whole copy.
 *
 * `now` (one clock reading for the whole transition) and `uuid` (the engine's injected random source) are what a
 * transition may need of the world, so transitions stay deterministic under a virtual clock and seeded ids.
 */
export class Mutation {
  readonly events: HistoryEvent[] = [];
  readonly tasks: OutboxTask[] = [];
  /** Mutable state changed even if no event was written (heartbeat details, a started activity, ...). */
  dirty = false;
  /** Memo or search attributes changed: the visibility record is rewritten. */
  visibilityChanged = false;
  /** Set when the run closed in this transition. */
  closed = false;
  /** Set when this transition creates the run. */
  created = false;
  /** A run created in the same transaction (continue-as-new, the next run of a retry or cron chain). */
  newRun?: NewRun;
  /**
   * Set by a request the history limits must never refuse although the run stays open (a cancel request: the
   * run's next transition that stays over a limit terminates it). Transitions that close the run need no flag.
   */
  historyLimitExempt = false;
  /** The events' protobuf encodings, when the history limits already measured them (the commit reuses them). */
  encodedEvents?: Uint8Array[];
  /**
   * In-memory consequences of this transition (the update registry's state, its waiters): run by the engine once the
   * transition is committed, still under the workflow lock, and dropped with the working copy when it is discarded
   * or its commit fails.
   */
  readonly effects: (() => void)[] = [];

  constructor(
    readonly ms: MutableState,
    readonly now: number,
    readonly uuid: () => string,
  ) {}

  /** Registers an in-memory consequence of this transition, applied only if it commits (see `effects`). */
  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  get changed(): boolean {
    return this.dirty || this.events.length > 0 || this.tasks.length > 0;
  }

  /** Appends an event to history now. */
  addEvent(type: EventTypeValue, fields: Partial<HistoryEvent>, time = this.now): HistoryEvent {
    const ms = this.ms;
    const wft = ms.workflowTask;
    // A transient workflow task only exists while nothing else happens; new events make the next task a normal one.
    if (wft?.transient && wft.startedEventId === 0 && !isWorkflowTaskEvent(type)) {
      ms.workflowTask = undefined;
      ms.workflowTaskAttempt = 1;
    }
    const event: HistoryEvent = {
      eventId: ms.nextEventId++,
      eventTime: msToTimestamp(time),
      eventType: type,
      ...fields,
    };
    this.events.push(event);
    this.dirty = true;
    if (type === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
      const initiated = toNumber(
        event.childWorkflowExecutionStartedEventAttributes?.initiatedEventId as number,
      );
      const child = ms.children?.[String(initiated)];
      if (child) child.startedEventId = toNumber(event.eventId as number);
    }
    return event;
  }

  /**
   * Appends now, or buffers while a workflow task is in flight: events its worker has not seen are written after the
   * task's outcome, never between its Started and Completed events.
   */
  addOrBuffer(type: EventTypeValue, fields: Partial<HistoryEvent>): void {
    if (workflowTaskInFlight(this.ms)) {
      const event: HistoryEvent = {
        eventId: 0,
        eventTime: msToTimestamp(this.now),
        eventType: type,
        ...fields,
      };
      this.ms.bufferedEvents.push(toBase64(encodeEvent(event)));
      this.dirty = true;
      return;
    }
    this.addEvent(type, fields);
  }

  /**
   * Activity close: the lazily recorded ActivityTaskStarted and the close event go in together. Returns nothing;
   * started ids of buffered pairs are fixed at flush.
   */
  addActivityClose(
    started: HistoryEvent['activityTaskStartedEventAttributes'],
    closeType: EventTypeValue,
    closeFields: (startedEventId: number) => Partial<HistoryEvent>,
  ): void {
    if (workflowTaskInFlight(this.ms)) {
      this.addOrBuffer(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
        activityTaskStartedEventAttributes: started,
      });
      this.addOrBuffer(closeType, closeFields(STARTED_AT_FLUSH));
      return;
    }
    const ev = this.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
      activityTaskStartedEventAttributes: started,
    });
    this.addEvent(closeType, closeFields(toNumber(ev.eventId)));
  }

  /** Writes the buffered events after the workflow task's own events; returns how many were flushed. */
  flushBuffered(): number {
    const buffered = this.ms.bufferedEvents;
    if (buffered.length === 0) return 0;
    this.ms.bufferedEvents = [];
    const startedIds = new Map<number, number>();
    const childStartedIds = new Map<number, number>();
    for (const text of buffered) {
      const event = decodeEvent(fromBase64(text));
      const type = event.eventType as EventTypeValue;
      const {
        eventId: _id,
        eventTime,
        eventType: _t,
        ...fields
      } = event as HistoryEvent & Record<string, unknown>;
      fixStartedId(fields, startedIds);
      fixChildStartedId(fields, childStartedIds);
      const added = this.addEvent(type, fields as Partial<HistoryEvent>, toMs(eventTime) ?? this.now);
      if (type === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
        childStartedIds.set(
          toNumber(added.childWorkflowExecutionStartedEventAttributes?.initiatedEventId as number),
          toNumber(added.eventId as number),
        );
      }
      if (type === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        startedIds.set(
          toNumber(added.activityTaskStartedEventAttributes?.scheduledEventId),
          toNumber(added.eventId),
        );
      }
    }
    return buffered.length;
  }

  addTransferTask(type: TransferTaskType, data: Record<string, unknown>): OutboxTask {
    return this.#addTask('transfer', type, this.now, data);
  }

  addTimerTask(type: TimerTaskType, fireTime: number, data: Record<string, unknown>): OutboxTask {
    return this.#addTask('timer', type, fireTime, data);
  }

  #addTask(
    category: 'transfer' | 'timer',
    taskType: string,
    fireTime: number,
    data: Record<string, unknown>,
  ): OutboxTask {
    const task: OutboxTask = {
      category,
      taskId: 0,
      fireTime,
      namespaceId: this.ms.namespaceId,
      workflowId: this.ms.workflowId,
      runId: this.ms.runId,
      taskType,
      // Its own memory: an armed timer task stays queued until it fires (an activity's timeout), long after the run
      // closed, and a pooled Buffer would keep a whole pool slab with it (see ownedUtf8).
      data: ownedUtf8(JSON.stringify(data)),
    };
    this.tasks.push(task);
    return task;
  }
}

function toMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (!t) return undefined;
  return toNumber(t.seconds as number) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000);
}

function fixStartedId(fields: Record<string, unknown>, startedIds: Map<number, number>): void {
  for (const key of [
    'activityTaskCompletedEventAttributes',
    'activityTaskFailedEventAttributes',
    'activityTaskTimedOutEventAttributes',
    'activityTaskCanceledEventAttributes',
  ]) {
    const attrs = fields[key] as { scheduledEventId?: unknown; startedEventId?: unknown } | undefined | null;
    if (attrs && toNumber(attrs.startedEventId as number) === STARTED_AT_FLUSH) {
      attrs.startedEventId = startedIds.get(toNumber(attrs.scheduledEventId as number)) ?? 0;
    }
  }
}

function fixChildStartedId(fields: Record<string, unknown>, startedIds: Map<number, number>): void {
  for (const key of [
    'childWorkflowExecutionCompletedEventAttributes',
    'childWorkflowExecutionFailedEventAttributes',
    'childWorkflowExecutionCanceledEventAttributes',
    'childWorkflowExecutionTimedOutEventAttributes',
    'childWorkflowExecutionTerminatedEventAttributes',
  ]) {
    const attrs = fields[key] as { initiatedEventId?: unknown; startedEventId?: unknown } | undefined | null;
    if (attrs && toNumber(attrs.startedEventId as number) === STARTED_AT_FLUSH) {
      attrs.startedEventId = startedIds.get(toNumber(attrs.initiatedEventId as number)) ?? 0;
    }
  }
}

function isWorkflowTaskEvent(type: EventTypeValue): boolean {
  return (
    type === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED ||
    type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED ||
    type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED ||
    type === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
    type === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT
  );
}

export function readTaskData<T>(task: { data: Uint8Array }): T {
  return JSON.parse(Buffer.from(task.data).toString('utf8')) as T;
}
