// Schedule options to Temporal's schedule messages and back (spec, action, policies, state, action results).
// Payload values go through the client's payload converter here; its codecs apply when the request is sent.
import { durationToMs, temporal, timestampToMs } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import type { RetryPolicy } from '../common/definitions.js';
import { workflowTypeName } from '../common/definitions.js';
import { toProtoDuration } from '../common/duration.js';
import {
  fromPayloadMap,
  fromPayloads,
  type PayloadConverter,
  toPayloadMap,
  toPayloads,
} from '../common/payload.js';
import type { IPayload } from '../common/proto-types.js';
import { toProtoRetryPolicy } from '../common/retry.js';
import {
  type Backfill,
  type CalendarSpec,
  type CalendarSpecDescription,
  DAYS_OF_WEEK,
  type LooseRanges,
  MONTHS,
  type Range,
  type ScheduleDescriptionAction,
  type ScheduleExecutionActionResult,
  type ScheduleExecutionResult,
  type ScheduleOptionsAction,
  ScheduleOverlapPolicy,
  type ScheduleSpecDescription,
  type ScheduleUpdateOptions,
} from './schedule-types.js';
import type { Headers } from '../common/interceptors.js';

const enums = temporal.api.enums.v1;
type ProtoRange = proto.api.schedule.v1.IRange;
type ProtoTime = { seconds?: unknown; nanos?: number | null } | null | undefined;

const OVERLAP_NUMBERS: Record<ScheduleOverlapPolicy, number> = {
  SKIP: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP,
  BUFFER_ONE: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
  BUFFER_ALL: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
  CANCEL_OTHER: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
  TERMINATE_OTHER: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
  ALLOW_ALL: enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
};

export function overlapToProto(policy: ScheduleOverlapPolicy | undefined): number {
  if (policy === undefined) return enums.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED;
  const n = OVERLAP_NUMBERS[policy];
  if (n === undefined) throw new TypeError(`Unknown schedule overlap policy ${JSON.stringify(policy)}`);
  return n;
}

/** The policy's name; unspecified is SKIP, the server's default. */
export function overlapFromProto(value: number | null | undefined): ScheduleOverlapPolicy {
  const found = Object.entries(OVERLAP_NUMBERS).find(([, n]) => n === value);
  return (found?.[0] as ScheduleOverlapPolicy | undefined) ?? ScheduleOverlapPolicy.SKIP;
}

export const timestampOf = (date: Date | undefined) =>
  date === undefined
    ? null
    : // protobufjs accepts numbers for int64 fields; its typings only name Long.
      ({ seconds: Math.floor(date.getTime() / 1000), nanos: (date.getTime() % 1000) * 1e6 } as never);
export const dateOf = (t: ProtoTime): Date | undefined =>
  t ? new Date(timestampToMs(t as never) ?? 0) : undefined;
export const msOf = (d: ProtoTime): number | undefined => (d ? durationToMs(d as never) : undefined);

function nameIndex(value: string | number, names: readonly string[], offset: number, field: string): number {
  if (typeof value === 'number') return value;
  const index = names.indexOf(value.toUpperCase());
  if (index < 0) throw new TypeError(`${field}: unknown name ${JSON.stringify(value)}`);
  return index + offset;
}

function rangesToProto<U extends string | number>(
  value: LooseRanges<U> | undefined,
  toNumber: (u: U) => number,
): ProtoRange[] {
  // No range is every value for the fields that default to all (day of month, month, year, day of week).
  if (value === undefined || value === '*') return [];
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
  return value === '*' ? [{ start: 0, end: max, step: 1 }] : rangesToProto(value, (n) => n);
}

function calendarToProto(calendar: CalendarSpec): proto.api.schedule.v1.IStructuredCalendarSpec {
  return {
    second: allOr(calendar.second, 59),
    minute: allOr(calendar.minute, 59),
    hour: allOr(calendar.hour, 23),
    dayOfMonth: rangesToProto(calendar.dayOfMonth, (n) => n),
    month: rangesToProto(calendar.month, (m) => nameIndex(m, MONTHS, 1, 'month')),
    year: rangesToProto(calendar.year, (n) => n),
    dayOfWeek: rangesToProto(calendar.dayOfWeek, (d) => nameIndex(d, DAYS_OF_WEEK, 0, 'dayOfWeek')),
    comment: calendar.comment ?? '',
  };
}

function rangesFromProto<U>(list: ProtoRange[] | null | undefined, unit: (n: number) => U): Range<U>[] {
  return (list ?? []).map((r) => ({
    start: unit(r.start ?? 0),
    // The server may leave `end` 0 for a single value.
    end: unit(Math.max(r.start ?? 0, r.end ?? 0)),
    step: r.step || 1,
  }));
}

function nameOf<N extends string>(names: readonly N[], offset: number): (n: number) => N {
  return (n) => {
    const name = names[n - offset];
    if (name === undefined)
      throw new RangeError(`No name for value ${n} (expected ${offset}–${names.length - 1 + offset})`);
    return name;
  };
}

function calendarFromProto(calendar: proto.api.schedule.v1.IStructuredCalendarSpec): CalendarSpecDescription {
  const same = (n: number) => n;
  return {
    second: rangesFromProto(calendar.second, same),
    minute: rangesFromProto(calendar.minute, same),
    hour: rangesFromProto(calendar.hour, same),
    dayOfMonth: rangesFromProto(calendar.dayOfMonth, same),
    month: rangesFromProto(calendar.month, nameOf(MONTHS, 1)),
    year: rangesFromProto(calendar.year, same),
    dayOfWeek: rangesFromProto(calendar.dayOfWeek, nameOf(DAYS_OF_WEEK, 0)),
    // Always there ('' for none), as the official client describes it.
    comment: calendar.comment ?? '',
  };
}

export function specToProto(spec: ScheduleUpdateOptions['spec']): proto.api.schedule.v1.IScheduleSpec {
  return {
    structuredCalendar: (spec.calendars ?? []).map(calendarToProto),
    cronString: spec.cronExpressions ?? [],
    interval: (spec.intervals ?? []).map((i) => ({
      interval: toProtoDuration(i.every) ?? null,
      phase: toProtoDuration(i.offset) ?? null,
    })),
    excludeStructuredCalendar: (spec.skip ?? []).map(calendarToProto),
    startTime: timestampOf(spec.startAt),
    endTime: timestampOf(spec.endAt),
    jitter: toProtoDuration(spec.jitter) ?? null,
    timezoneName: spec.timezone ?? '',
  };
}

export function specFromProto(
  spec: proto.api.schedule.v1.IScheduleSpec | null | undefined,
): ScheduleSpecDescription {
  return {
    calendars: (spec?.structuredCalendar ?? []).map(calendarFromProto),
    intervals: (spec?.interval ?? []).map((i) => ({
      every: msOf(i.interval) ?? 0,
      offset: msOf(i.phase) ?? 0,
    })),
    skip: (spec?.excludeStructuredCalendar ?? []).map(calendarFromProto),
    ...(spec?.startTime ? { startAt: dateOf(spec.startTime) as Date } : {}),
    ...(spec?.endTime ? { endAt: dateOf(spec.endTime) as Date } : {}),
    ...(spec?.jitter ? { jitter: msOf(spec.jitter) as number } : {}),
    ...(spec?.timezoneName ? { timezone: spec.timezoneName } : {}),
  };
}

/** The id of the workflows an action starts (the server appends the scheduled time). */
export function actionWorkflowId(scheduleId: string, action: ScheduleOptionsAction): string {
  return action.workflowId ?? `${scheduleId}-workflow`;
}

export function actionToProto(
  converter: PayloadConverter,
  scheduleId: string,
  action: ScheduleOptionsAction,
  headers: Headers,
): proto.api.schedule.v1.IScheduleAction {
  if (action.type !== undefined && action.type !== 'startWorkflow')
    throw new TypeError(`Unknown schedule action type ${JSON.stringify(action.type)}`);
  if (!action.taskQueue) throw new TypeError('A schedule action needs a taskQueue');
  return {
    startWorkflow: {
      workflowId: actionWorkflowId(scheduleId, action),
      workflowType: { name: workflowTypeName(action.workflowType) },
      taskQueue: { name: action.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: toPayloads(converter, action.args ?? []) ?? null,
      memo: action.memo ? { fields: toPayloadMap(converter, action.memo) } : null,
      searchAttributes: action.searchAttributes
        ? { indexedFields: toPayloadMap(converter, action.searchAttributes) }
        : null,
      header: Object.keys(headers).length > 0 ? { fields: headers } : null,
      retryPolicy: toProtoRetryPolicy(action.retry) ?? null,
      workflowExecutionTimeout: toProtoDuration(action.workflowExecutionTimeout) ?? null,
      workflowRunTimeout: toProtoDuration(action.workflowRunTimeout) ?? null,
      workflowTaskTimeout: toProtoDuration(action.workflowTaskTimeout) ?? null,
    },
  };
}

function retryFromProto(
  policy: proto.api.common.v1.IRetryPolicy | null | undefined,
): RetryPolicy | undefined {
  if (!policy) return undefined;
  return {
    ...(policy.initialInterval ? { initialInterval: msOf(policy.initialInterval) as number } : {}),
    ...(policy.backoffCoefficient ? { backoffCoefficient: policy.backoffCoefficient } : {}),
    ...(policy.maximumInterval ? { maximumInterval: msOf(policy.maximumInterval) as number } : {}),
    ...(policy.maximumAttempts ? { maximumAttempts: policy.maximumAttempts } : {}),
    ...(policy.nonRetryableErrorTypes?.length
      ? { nonRetryableErrorTypes: policy.nonRetryableErrorTypes }
      : {}),
  };
}

/** A memo as the official client returns it: undefined when there is none. */
export function memoFromProto(
  converter: PayloadConverter,
  fields: Record<string, IPayload> | null | undefined,
): Record<string, unknown> | undefined {
  return fields && Object.keys(fields).length > 0 ? fromPayloadMap(converter, fields) : undefined;
}

export function actionFromProto(
  converter: PayloadConverter,
  action: proto.api.schedule.v1.IScheduleAction | null | undefined,
): ScheduleDescriptionAction {
  const start = action?.startWorkflow;
  if (!start)
    throw new TypeError('The schedule has no startWorkflow action (the only kind this client knows)');
  const retry = retryFromProto(start.retryPolicy);
  const memo = memoFromProto(converter, start.memo?.fields);
  return {
    type: 'startWorkflow',
    workflowType: start.workflowType?.name ?? '',
    workflowId: start.workflowId ?? '',
    taskQueue: start.taskQueue?.name ?? '',
    args: fromPayloads(converter, start.input),
    ...(memo ? { memo } : {}),
    ...(start.searchAttributes?.indexedFields
      ? { searchAttributes: fromPayloadMap(converter, start.searchAttributes.indexedFields) }
      : {}),
    ...(retry ? { retry } : {}),
    ...(start.workflowExecutionTimeout
      ? { workflowExecutionTimeout: msOf(start.workflowExecutionTimeout) as number }
      : {}),
    ...(start.workflowRunTimeout ? { workflowRunTimeout: msOf(start.workflowRunTimeout) as number } : {}),
    ...(start.workflowTaskTimeout ? { workflowTaskTimeout: msOf(start.workflowTaskTimeout) as number } : {}),
  };
}

export function policiesToProto(
  policies: ScheduleUpdateOptions['policies'],
): proto.api.schedule.v1.ISchedulePolicies {
  return {
    overlapPolicy: overlapToProto(policies?.overlap),
    catchupWindow: toProtoDuration(policies?.catchupWindow) ?? null,
    pauseOnFailure: policies?.pauseOnFailure ?? false,
  };
}

export function stateToProto(state: ScheduleUpdateOptions['state']): proto.api.schedule.v1.IScheduleState {
  const limited = state?.remainingActions !== undefined;
  if (limited && (!Number.isInteger(state.remainingActions) || (state.remainingActions as number) < 0))
    throw new TypeError('state.remainingActions must be an integer >= 0');
  return {
    paused: state?.paused ?? false,
    notes: state?.note ?? '',
    limitedActions: limited,
    // protobufjs accepts numbers for int64 fields; its typings only name Long.
    remainingActions: (state?.remainingActions ?? 0) as never,
  };
}

export function backfillToProto(b: Backfill): proto.api.schedule.v1.IBackfillRequest {
  if (!(b.start instanceof Date) || !(b.end instanceof Date))
    throw new TypeError('A backfill needs start and end Dates');
  return {
    startTime: timestampOf(b.start),
    endTime: timestampOf(b.end),
    overlapPolicy: overlapToProto(b.overlap),
  };
}

export function runningActionFromProto(
  w: proto.api.common.v1.IWorkflowExecution,
): ScheduleExecutionActionResult {
  return {
    type: 'startWorkflow',
    workflow: { workflowId: w.workflowId ?? '', firstExecutionRunId: w.runId ?? '' },
  };
}

export function actionResultFromProto(
  a: proto.api.schedule.v1.IScheduleActionResult,
): ScheduleExecutionResult {
  return {
    scheduledAt: dateOf(a.scheduleTime) ?? new Date(0),
    takenAt: dateOf(a.actualTime) ?? new Date(0),
    action: runningActionFromProto(a.startWorkflowResult ?? {}),
  };
}
