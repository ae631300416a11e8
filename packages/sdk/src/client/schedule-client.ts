import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { status } from '@grpc/grpc-js';
import { durationToMs, temporal, timestampToMs, toNumber } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import { type DataCodecOptions, CodecCalls } from '../codec/codec-calls.js';
import { type Duration, toProtoDuration } from '../common/duration.js';
import { type Workflow, workflowTypeName } from '../common/definitions.js';
import {
  defaultPayloadConverter,
  fromPayloadMap,
  fromPayloads,
  type PayloadConverter,
  toPayloadMap,
  toPayloads,
} from '../common/payload.js';
import { toProtoRetryPolicy } from '../common/retry.js';
import type { RetryPolicy } from '../common/definitions.js';
import type { Connection } from './connection.js';
import { ServiceCallError } from './errors.js';

// Schedules, typed like the official client's `client.schedule`: create, getHandle, list; a handle describes,
// updates, pauses, unpauses, triggers, backfills and deletes.

const enums = temporal.api.enums.v1;

export const ScheduleOverlapPolicy = {
  SKIP: 'SKIP',
  BUFFER_ONE: 'BUFFER_ONE',
  BUFFER_ALL: 'BUFFER_ALL',
  CANCEL_OTHER: 'CANCEL_OTHER',
  TERMINATE_OTHER: 'TERMINATE_OTHER',
  ALLOW_ALL: 'ALLOW_ALL',
} as const;
export type ScheduleOverlapPolicy = (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];

const OVERLAP_NUMBERS: Record<ScheduleOverlapPolicy, number> = {
  SKIP: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP,
  BUFFER_ONE: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
  BUFFER_ALL: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
  CANCEL_OTHER: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
  TERMINATE_OTHER: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
  ALLOW_ALL: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
};

function overlapName(value: number | null | undefined): ScheduleOverlapPolicy {
  const found = Object.entries(OVERLAP_NUMBERS).find(([, n]) => n === value);
  return (found?.[0] as ScheduleOverlapPolicy | undefined) ?? 'SKIP';
}

export const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
export const DAYS_OF_WEEK = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
] as const;
export type Month = (typeof MONTHS)[number];
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** `start` to `end` (default: start) every `step` (default 1). */
export interface Range<Unit> {
  start: Unit;
  end?: Unit;
  step?: number;
}
export type LooseRange<Unit> = Unit | Range<Unit>;
export type LooseRanges<Unit> = LooseRange<Unit> | LooseRange<Unit>[] | '*';

/** A calendar: every field that is set must match. Unset second, minute, hour are 0; other fields match all. */
export interface CalendarSpec {
  second?: LooseRanges<number>;
  minute?: LooseRanges<number>;
  hour?: LooseRanges<number>;
  dayOfMonth?: LooseRanges<number>;
  month?: LooseRanges<Month>;
  year?: LooseRanges<number>;
  dayOfWeek?: LooseRanges<DayOfWeek>;
  comment?: string;
}

/** A described calendar: every field as ranges of numbers (months 1–12, days of week 0 = Sunday). */
export interface CalendarSpecDescription {
  second: Range<number>[];
  minute: Range<number>[];
  hour: Range<number>[];
  dayOfMonth: Range<number>[];
  month: Range<number>[];
  year: Range<number>[];
  dayOfWeek: Range<number>[];
  comment?: string;
}

/** Times `offset + k × every` from the Unix epoch. */
export interface IntervalSpec {
  every: Duration;
  offset?: Duration;
}

export interface ScheduleSpec {
  calendars?: CalendarSpec[];
  intervals?: IntervalSpec[];
  /** Cron strings (5, 6 or 7 fields, `@daily`, `@every 5m`…); the server turns them into calendars. */
  cronExpressions?: string[];
  /** Times matching any of these are skipped. */
  skip?: CalendarSpec[];
  startAt?: Date;
  endAt?: Date;
  jitter?: Duration;
  /** IANA time zone of the calendars; UTC by default. */
  timezone?: string;
}

export interface ScheduleSpecDescription {
  calendars: CalendarSpecDescription[];
  intervals: { every: number; offset: number }[];
  skip: CalendarSpecDescription[];
  startAt?: Date;
  endAt?: Date;
  /** Milliseconds. */
  jitter?: number;
  timezone?: string;
}

export interface ScheduleWorkflowAction<Args extends unknown[] = unknown[]> {
  type?: 'startWorkflow';
  workflowType: string | Workflow;
  /** The id of each started workflow is this, then `-` and the scheduled time (RFC 3339). */
  workflowId: string;
  taskQueue: string;
  args?: Args;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
  retry?: RetryPolicy;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
}

export interface ScheduleWorkflowActionDescription {
  type: 'startWorkflow';
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  workflowExecutionTimeout?: number;
  workflowRunTimeout?: number;
  workflowTaskTimeout?: number;
}

export interface SchedulePolicies {
  overlap?: ScheduleOverlapPolicy;
  catchupWindow?: Duration;
  pauseOnFailure?: boolean;
}

export interface Backfill {
  start: Date;
  end: Date;
  overlap?: ScheduleOverlapPolicy;
}

export interface ScheduleOptions {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleWorkflowAction;
  policies?: SchedulePolicies;
  state?: {
    paused?: boolean;
    note?: string;
    /** Limits the scheduled actions to this many (triggers and backfills do not count). */
    remainingActions?: number;
    triggerImmediately?: boolean;
    backfill?: Backfill[];
  };
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
}

export type ScheduleUpdateOptions = Omit<
  ScheduleOptions,
  'scheduleId' | 'memo' | 'searchAttributes' | 'state'
> & {
  state?: { paused?: boolean; note?: string; remainingActions?: number };
};

export interface ScheduleExecution {
  workflowId: string;
  firstExecutionRunId: string;
}

export interface ScheduleActionResult {
  scheduledAt: Date;
  takenAt: Date;
  workflow: ScheduleExecution;
}

export interface ScheduleDescription {
  scheduleId: string;
  spec: ScheduleSpecDescription;
  action: ScheduleWorkflowActionDescription;
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean };
  state: { paused: boolean; note?: string; remainingActions?: number };
  info: {
    numActionsTaken: number;
    numActionsMissedCatchupWindow: number;
    numActionsSkippedOverlap: number;
    runningActions: { workflow: ScheduleExecution }[];
    recentActions: ScheduleActionResult[];
    nextActionTimes: Date[];
    createdAt: Date;
    lastUpdatedAt?: Date;
  };
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
}

export interface ScheduleSummary {
  scheduleId: string;
  spec?: ScheduleSpecDescription;
  action?: { type: 'startWorkflow'; workflowType: string };
  state: { paused: boolean; note?: string };
  info: { recentActions: ScheduleActionResult[]; nextActionTimes: Date[] };
  memo: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
}

export class ScheduleNotFoundError extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly scheduleId: string,
  ) {
    super(message, status.NOT_FOUND, method);
    this.name = 'ScheduleNotFoundError';
  }
}

export class ScheduleAlreadyRunning extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly scheduleId: string,
  ) {
    super(message, status.ALREADY_EXISTS, method);
    this.name = 'ScheduleAlreadyRunning';
  }
}

export interface ScheduleClientOptions extends DataCodecOptions {
  connection: Connection;
  namespace?: string;
  identity?: string;
  payloadConverter?: PayloadConverter;
}

type ProtoRange = proto.api.schedule.v1.IRange;
type ProtoSchedule = proto.api.schedule.v1.ISchedule;

function nameIndex(value: string | number, names: readonly string[], offset: number, field: string): number {
  if (typeof value === 'number') return value;
  const index = names.indexOf(value.toUpperCase());
  if (index < 0) throw new TypeError(`${field}: unknown name ${JSON.stringify(value)}`);
  return index + offset;
}

function rangesOf<U extends string | number>(
  value: LooseRanges<U> | undefined,
  toNumber: (u: U) => number,
): ProtoRange[] {
  if (value === undefined) return [];
  // No range is every value for the fields that default to all (day of month, month, year, day of week).
  if (value === '*') return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (typeof item === 'object') {
      const start = toNumber(item.start);
      return { start, end: item.end === undefined ? start : toNumber(item.end), step: item.step ?? 1 };
    }
    const n = toNumber(item);
    return { start: n, end: n, step: 1 };
  });
}

/** `'*'` in a field the server defaults to 0 (second, minute, hour) means every value. */
function allOr(value: LooseRanges<number> | undefined, max: number): ProtoRange[] {
  return value === '*' ? [{ start: 0, end: max, step: 1 }] : rangesOf(value, (n) => n);
}

function calendarToProto(calendar: CalendarSpec): proto.api.schedule.v1.IStructuredCalendarSpec {
  return {
    second: allOr(calendar.second, 59),
    minute: allOr(calendar.minute, 59),
    hour: allOr(calendar.hour, 23),
    dayOfMonth: rangesOf(calendar.dayOfMonth, (n) => n),
    month: rangesOf(calendar.month, (m) => nameIndex(m, MONTHS, 1, 'month')),
    year: rangesOf(calendar.year, (n) => n),
    dayOfWeek: rangesOf(calendar.dayOfWeek, (d) => nameIndex(d, DAYS_OF_WEEK, 0, 'dayOfWeek')),
    comment: calendar.comment ?? '',
  };
}

function calendarFromProto(calendar: proto.api.schedule.v1.IStructuredCalendarSpec): CalendarSpecDescription {
  const ranges = (list: ProtoRange[] | null | undefined): Range<number>[] =>
    (list ?? []).map((r) => ({
      start: r.start ?? 0,
      end: Math.max(r.start ?? 0, r.end ?? 0),
      step: r.step || 1,
    }));
  return {
    second: ranges(calendar.second),
    minute: ranges(calendar.minute),
    hour: ranges(calendar.hour),
    dayOfMonth: ranges(calendar.dayOfMonth),
    month: ranges(calendar.month),
    year: ranges(calendar.year),
    dayOfWeek: ranges(calendar.dayOfWeek),
    ...(calendar.comment ? { comment: calendar.comment } : {}),
  };
}

const timestamp = (date: Date | undefined) =>
  date === undefined
    ? null
    : ({ seconds: Math.floor(date.getTime() / 1000), nanos: (date.getTime() % 1000) * 1e6 } as never);
const dateOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? new Date(timestampToMs(t as never) ?? 0) : undefined;
const msOf = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  d ? durationToMs(d as never) : undefined;

/** Creates schedules and hands out handles to them. */
export class ScheduleClient {
  readonly namespace: string;
  readonly identity: string;
  readonly converter: PayloadConverter;
  private readonly calls: CodecCalls;

  constructor(options: ScheduleClientOptions) {
    this.namespace = options.namespace ?? 'default';
    this.identity = options.identity ?? `${process.pid}@${hostname()}`;
    this.converter = options.payloadConverter ?? defaultPayloadConverter;
    this.calls = new CodecCalls(options.connection, {
      ...(options.payloadCodecs ? { payloadCodecs: options.payloadCodecs } : {}),
      ...(options.encodeFailureAttributes ? { encodeFailureAttributes: true } : {}),
    });
  }

  private callOptions(signal?: AbortSignal) {
    return { namespace: this.namespace, ...(signal ? { signal } : {}) };
  }

  /** Maps NOT_FOUND and ALREADY_EXISTS to the typed errors callers handle. */
  mapError(error: unknown, scheduleId: string): unknown {
    if (!(error instanceof ServiceCallError)) return error;
    if (error.code === status.NOT_FOUND && error.details !== 'NamespaceNotFoundFailure')
      return new ScheduleNotFoundError(error.message, error.method, scheduleId);
    if (error.code === status.ALREADY_EXISTS)
      return new ScheduleAlreadyRunning(error.message, error.method, scheduleId);
    return error;
  }

  /** The Schedule message of options. */
  scheduleToProto(options: ScheduleUpdateOptions): ProtoSchedule {
    const { spec, action, policies, state } = options;
    return {
      spec: {
        structuredCalendar: (spec.calendars ?? []).map(calendarToProto),
        cronString: spec.cronExpressions ?? [],
        interval: (spec.intervals ?? []).map((i) => ({
          interval: toProtoDuration(i.every) ?? null,
          phase: toProtoDuration(i.offset) ?? null,
        })),
        excludeStructuredCalendar: (spec.skip ?? []).map(calendarToProto),
        startTime: timestamp(spec.startAt),
        endTime: timestamp(spec.endAt),
        jitter: toProtoDuration(spec.jitter) ?? null,
        timezoneName: spec.timezone ?? '',
      },
      action: {
        startWorkflow: {
          workflowId: action.workflowId,
          workflowType: { name: workflowTypeName(action.workflowType) },
          taskQueue: { name: action.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
          input: toPayloads(this.converter, action.args ?? []) ?? null,
          memo: action.memo ? { fields: toPayloadMap(this.converter, action.memo) } : null,
          searchAttributes: action.searchAttributes
            ? { indexedFields: toPayloadMap(this.converter, action.searchAttributes) }
            : null,
          retryPolicy: toProtoRetryPolicy(action.retry) ?? null,
          workflowExecutionTimeout: toProtoDuration(action.workflowExecutionTimeout) ?? null,
          workflowRunTimeout: toProtoDuration(action.workflowRunTimeout) ?? null,
          workflowTaskTimeout: toProtoDuration(action.workflowTaskTimeout) ?? null,
        },
      },
      policies: {
        overlapPolicy: policies?.overlap ? OVERLAP_NUMBERS[policies.overlap] : 0,
        catchupWindow: toProtoDuration(policies?.catchupWindow) ?? null,
        pauseOnFailure: policies?.pauseOnFailure ?? false,
      },
      state: {
        paused: state?.paused ?? false,
        notes: state?.note ?? '',
        limitedActions: state?.remainingActions !== undefined,
        remainingActions: (state?.remainingActions ?? 0) as never,
      },
    };
  }

  async create(options: ScheduleOptions, signal?: AbortSignal): Promise<ScheduleHandle> {
    const { state } = options;
    const backfill = state?.backfill ?? [];
    try {
      await this.calls.call(
        'createSchedule',
        {
          namespace: this.namespace,
          scheduleId: options.scheduleId,
          schedule: this.scheduleToProto(options),
          initialPatch:
            state?.triggerImmediately || backfill.length > 0
              ? {
                  ...(state?.triggerImmediately
                    ? { triggerImmediately: { overlapPolicy: OVERLAP_NUMBERS.ALLOW_ALL } }
                    : {}),
                  backfillRequest: backfill.map((b) => backfillToProto(b)),
                }
              : null,
          identity: this.identity,
          requestId: randomUUID(),
          memo: options.memo ? { fields: toPayloadMap(this.converter, options.memo) } : null,
          searchAttributes: options.searchAttributes
            ? { indexedFields: toPayloadMap(this.converter, options.searchAttributes) }
            : null,
        },
        this.callOptions(signal),
      );
    } catch (error) {
      throw this.mapError(error, options.scheduleId);
    }
    return this.getHandle(options.scheduleId);
  }

  getHandle(scheduleId: string): ScheduleHandle {
    return new ScheduleHandle(this, scheduleId);
  }

  /** The schedules of the namespace (those a visibility-style `query` matches), a page at a time. */
  async *list(
    options: { pageSize?: number; query?: string; signal?: AbortSignal } = {},
  ): AsyncIterable<ScheduleSummary> {
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await this.calls.call(
        'listSchedules',
        {
          namespace: this.namespace,
          maximumPageSize: options.pageSize ?? 100,
          nextPageToken: nextPageToken ?? null,
        },
        this.callOptions(options.signal),
      );
      for (const entry of response.schedules ?? []) yield this.summaryOf(entry);
      nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    } while (nextPageToken);
  }

  /** @internal */
  call<M extends Parameters<CodecCalls['call']>[0]>(
    method: M,
    request: Parameters<CodecCalls['call']>[1] & object,
    scheduleId: string,
    signal?: AbortSignal,
  ) {
    return this.calls
      .call(method, request as never, this.callOptions(signal))
      .catch((error: unknown) => Promise.reject(this.mapError(error, scheduleId)));
  }

  specOf(spec: proto.api.schedule.v1.IScheduleSpec | null | undefined): ScheduleSpecDescription {
    return {
      calendars: (spec?.structuredCalendar ?? []).map(calendarFromProto),
      intervals: (spec?.interval ?? []).map((i) => ({
        every: msOf(i.interval) ?? 0,
        offset: msOf(i.phase) ?? 0,
      })),
      skip: (spec?.excludeStructuredCalendar ?? []).map(calendarFromProto),
      ...(spec?.startTime ? { startAt: dateOf(spec.startTime)! } : {}),
      ...(spec?.endTime ? { endAt: dateOf(spec.endTime)! } : {}),
      ...(spec?.jitter ? { jitter: msOf(spec.jitter)! } : {}),
      ...(spec?.timezoneName ? { timezone: spec.timezoneName } : {}),
    };
  }

  actionResultOf(a: proto.api.schedule.v1.IScheduleActionResult): ScheduleActionResult {
    return {
      scheduledAt: dateOf(a.scheduleTime) ?? new Date(0),
      takenAt: dateOf(a.actualTime) ?? new Date(0),
      workflow: {
        workflowId: a.startWorkflowResult?.workflowId ?? '',
        firstExecutionRunId: a.startWorkflowResult?.runId ?? '',
      },
    };
  }

  private summaryOf(entry: proto.api.schedule.v1.IScheduleListEntry): ScheduleSummary {
    const info = entry.info ?? {};
    return {
      scheduleId: entry.scheduleId ?? '',
      ...(info.spec ? { spec: this.specOf(info.spec) } : {}),
      ...(info.workflowType?.name
        ? { action: { type: 'startWorkflow' as const, workflowType: info.workflowType.name } }
        : {}),
      state: { paused: info.paused === true, ...(info.notes ? { note: info.notes } : {}) },
      info: {
        recentActions: (info.recentActions ?? []).map((a) => this.actionResultOf(a)),
        nextActionTimes: (info.futureActionTimes ?? []).map((t) => dateOf(t)!),
      },
      memo: fromPayloadMap(this.converter, entry.memo?.fields) as Record<string, unknown>,
      searchAttributes: fromPayloadMap(this.converter, entry.searchAttributes?.indexedFields) as Record<
        string,
        unknown
      >,
    };
  }
}

function backfillToProto(b: Backfill): proto.api.schedule.v1.IBackfillRequest {
  return {
    startTime: timestamp(b.start),
    endTime: timestamp(b.end),
    overlapPolicy: b.overlap ? OVERLAP_NUMBERS[b.overlap] : 0,
  };
}

/** One schedule. */
export class ScheduleHandle {
  constructor(
    private readonly client: ScheduleClient,
    readonly scheduleId: string,
  ) {}

  private request() {
    return { namespace: this.client.namespace, scheduleId: this.scheduleId };
  }

  async describe(signal?: AbortSignal): Promise<ScheduleDescription> {
    const r = await this.client.call('describeSchedule', this.request(), this.scheduleId, signal);
    const schedule = r.schedule ?? {};
    const start = schedule.action?.startWorkflow ?? {};
    const info = r.info ?? {};
    const state = schedule.state ?? {};
    const converter = this.client.converter;
    return {
      scheduleId: this.scheduleId,
      spec: this.client.specOf(schedule.spec),
      action: {
        type: 'startWorkflow',
        workflowType: start.workflowType?.name ?? '',
        workflowId: start.workflowId ?? '',
        taskQueue: start.taskQueue?.name ?? '',
        args: fromPayloads(converter, start.input),
        memo: fromPayloadMap(converter, start.memo?.fields) as Record<string, unknown>,
        searchAttributes: fromPayloadMap(converter, start.searchAttributes?.indexedFields) as Record<
          string,
          unknown
        >,
        ...(start.workflowExecutionTimeout
          ? { workflowExecutionTimeout: msOf(start.workflowExecutionTimeout)! }
          : {}),
        ...(start.workflowRunTimeout ? { workflowRunTimeout: msOf(start.workflowRunTimeout)! } : {}),
        ...(start.workflowTaskTimeout ? { workflowTaskTimeout: msOf(start.workflowTaskTimeout)! } : {}),
      },
      policies: {
        overlap: overlapName(schedule.policies?.overlapPolicy),
        catchupWindow: msOf(schedule.policies?.catchupWindow) ?? 365 * 24 * 3_600_000,
        pauseOnFailure: schedule.policies?.pauseOnFailure === true,
      },
      state: {
        paused: state.paused === true,
        ...(state.notes ? { note: state.notes } : {}),
        ...(state.limitedActions ? { remainingActions: toNumber(state.remainingActions) } : {}),
      },
      info: {
        numActionsTaken: toNumber(info.actionCount),
        numActionsMissedCatchupWindow: toNumber(info.missedCatchupWindow),
        numActionsSkippedOverlap: toNumber(info.overlapSkipped),
        runningActions: (info.runningWorkflows ?? []).map((w) => ({
          workflow: { workflowId: w.workflowId ?? '', firstExecutionRunId: w.runId ?? '' },
        })),
        recentActions: (info.recentActions ?? []).map((a) => this.client.actionResultOf(a)),
        nextActionTimes: (info.futureActionTimes ?? []).map((t) => dateOf(t)!),
        createdAt: dateOf(info.createTime) ?? new Date(0),
        ...(info.updateTime ? { lastUpdatedAt: dateOf(info.updateTime)! } : {}),
      },
      memo: fromPayloadMap(converter, r.memo?.fields) as Record<string, unknown>,
      searchAttributes: fromPayloadMap(converter, r.searchAttributes?.indexedFields) as Record<
        string,
        unknown
      >,
    };
  }

  /** Replaces the definition with what `update` makes of the current one (the schedule's conflict token guards it). */
  async update(
    update: (previous: ScheduleDescription) => ScheduleUpdateOptions,
    signal?: AbortSignal,
  ): Promise<void> {
    const current = await this.client.call('describeSchedule', this.request(), this.scheduleId, signal);
    const next = update(await this.describe(signal));
    await this.client.call(
      'updateSchedule',
      {
        ...this.request(),
        schedule: this.client.scheduleToProto(next),
        conflictToken: current.conflictToken ?? null,
        identity: this.client.identity,
        requestId: randomUUID(),
      },
      this.scheduleId,
      signal,
    );
  }

  private patch(patch: proto.api.schedule.v1.ISchedulePatch, signal?: AbortSignal): Promise<unknown> {
    return this.client.call(
      'patchSchedule',
      { ...this.request(), patch, identity: this.client.identity, requestId: randomUUID() },
      this.scheduleId,
      signal,
    );
  }

  async pause(note = 'Paused via @odin/sdk', signal?: AbortSignal): Promise<void> {
    await this.patch({ pause: note }, signal);
  }

  async unpause(note = 'Unpaused via @odin/sdk', signal?: AbortSignal): Promise<void> {
    await this.patch({ unpause: note }, signal);
  }

  /** Runs the action now; ALLOW_ALL unless another overlap policy is given (as the official client does). */
  async trigger(overlap: ScheduleOverlapPolicy = 'ALLOW_ALL', signal?: AbortSignal): Promise<void> {
    await this.patch({ triggerImmediately: { overlapPolicy: OVERLAP_NUMBERS[overlap] } }, signal);
  }

  /** Runs the action for every time of the spec in each range. */
  async backfill(backfills: Backfill | Backfill[], signal?: AbortSignal): Promise<void> {
    const list = Array.isArray(backfills) ? backfills : [backfills];
    await this.patch({ backfillRequest: list.map(backfillToProto) }, signal);
  }

  async delete(signal?: AbortSignal): Promise<void> {
    await this.client.call(
      'deleteSchedule',
      { ...this.request(), identity: this.client.identity },
      this.scheduleId,
      signal,
    );
  }
}
