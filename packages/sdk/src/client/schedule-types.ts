// The schedule client's public types, shaped like the official TypeScript SDK's (`@temporalio/client`
// schedule-types), so code written against `client.schedule` there reads the same here.
import type { Duration } from '../common/duration.js';
import type { RetryPolicy, Workflow } from '../common/definitions.js';
import type { temporal as proto } from '@temporalio/proto';

export const ScheduleOverlapPolicy = {
  SKIP: 'SKIP',
  BUFFER_ONE: 'BUFFER_ONE',
  BUFFER_ALL: 'BUFFER_ALL',
  CANCEL_OTHER: 'CANCEL_OTHER',
  TERMINATE_OTHER: 'TERMINATE_OTHER',
  ALLOW_ALL: 'ALLOW_ALL',
} as const;
export type ScheduleOverlapPolicy = (typeof ScheduleOverlapPolicy)[keyof typeof ScheduleOverlapPolicy];

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

/** `start` to `end` every `step`. */
export interface Range<Unit> {
  start: Unit;
  end: Unit;
  step: number;
}
/** A single value, or a range whose `end` defaults to `start` and `step` to 1. */
export type LooseRange<Unit> = Unit | { start: Unit; end?: Unit; step?: number };
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

/** A calendar as the server keeps it: every field as ranges (an empty list matches every value). */
export interface CalendarSpecDescription {
  second: Range<number>[];
  minute: Range<number>[];
  hour: Range<number>[];
  dayOfMonth: Range<number>[];
  month: Range<Month>[];
  year: Range<number>[];
  dayOfWeek: Range<DayOfWeek>[];
  comment?: string;
}

/** Times `offset + k × every` from the Unix epoch. */
export interface IntervalSpec {
  every: Duration;
  offset?: Duration;
}

/** Milliseconds. */
export interface IntervalSpecDescription {
  every: number;
  offset: number;
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

/** A spec as described: cron expressions come back as calendars; the lists are always there (maybe empty). */
export interface ScheduleSpecDescription {
  calendars: CalendarSpecDescription[];
  intervals: IntervalSpecDescription[];
  skip: CalendarSpecDescription[];
  startAt?: Date;
  endAt?: Date;
  /** Milliseconds. */
  jitter?: number;
  timezone?: string;
}

/** Starts a workflow; `args` are typed by the workflow function when one is given. */
export interface ScheduleOptionsStartWorkflowAction<W extends Workflow = Workflow> {
  type?: 'startWorkflow';
  workflowType: string | W;
  /** The id of each started workflow is this, then `-` and the scheduled time (RFC 3339); `<scheduleId>-workflow` by default. */
  workflowId?: string;
  taskQueue: string;
  args?: Parameters<W>;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
  retry?: RetryPolicy;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
}
export type ScheduleOptionsAction = ScheduleOptionsStartWorkflowAction<Workflow>;

export interface ScheduleDescriptionStartWorkflowAction {
  type: 'startWorkflow';
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
  retry?: RetryPolicy;
  /** Milliseconds. */
  workflowExecutionTimeout?: number;
  workflowRunTimeout?: number;
  workflowTaskTimeout?: number;
}
export type ScheduleDescriptionAction = ScheduleDescriptionStartWorkflowAction;

export interface SchedulePolicies {
  /** What happens when a run is due while the last one is still open; SKIP by default. */
  overlap?: ScheduleOverlapPolicy;
  /** How late a missed time may still be taken (after the server was down); one year by default. */
  catchupWindow?: Duration;
  /** Pauses the schedule when a run fails or times out. */
  pauseOnFailure?: boolean;
}

export interface Backfill {
  start: Date;
  end: Date;
  overlap?: ScheduleOverlapPolicy;
}

export interface ScheduleOptions<A extends ScheduleOptionsAction = ScheduleOptionsAction> {
  scheduleId: string;
  spec: ScheduleSpec;
  action: A;
  policies?: SchedulePolicies;
  state?: {
    paused?: boolean;
    note?: string;
    /** Limits the scheduled actions to this many (triggers and backfills do not count). */
    remainingActions?: number;
    /** Takes the action once as soon as the schedule is created (overlap ALLOW_ALL). */
    triggerImmediately?: boolean;
    backfill?: Backfill[];
  };
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
}

/** What `handle.update` returns: the whole new definition (memo cannot change; search attributes can). */
export type ScheduleUpdateOptions<A extends ScheduleOptionsAction = ScheduleOptionsAction> = Omit<
  ScheduleOptions<A>,
  'scheduleId' | 'memo' | 'state'
> & {
  state?: { paused?: boolean; note?: string; remainingActions?: number };
};

/** A started workflow of a schedule. */
export interface ScheduleExecutionStartWorkflowActionResult {
  type: 'startWorkflow';
  workflow: { workflowId: string; firstExecutionRunId: string };
}
export type ScheduleExecutionActionResult = ScheduleExecutionStartWorkflowActionResult;

export interface ScheduleExecutionResult {
  scheduledAt: Date;
  takenAt: Date;
  action: ScheduleExecutionActionResult;
}

export interface ScheduleDescription {
  scheduleId: string;
  spec: ScheduleSpecDescription;
  action: ScheduleDescriptionAction;
  policies: { overlap: ScheduleOverlapPolicy; catchupWindow: number; pauseOnFailure: boolean };
  state: { paused: boolean; note?: string; remainingActions?: number };
  info: {
    numActionsTaken: number;
    numActionsMissedCatchupWindow: number;
    numActionsSkippedOverlap: number;
    runningActions: ScheduleExecutionActionResult[];
    recentActions: ScheduleExecutionResult[];
    nextActionTimes: Date[];
    createdAt: Date;
    lastUpdatedAt: Date | undefined;
  };
  memo?: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  /** The response as it came (payloads decoded by the client's codecs). */
  raw: proto.api.workflowservice.v1.IDescribeScheduleResponse;
}

export interface ScheduleSummary {
  scheduleId: string;
  spec?: ScheduleSpecDescription;
  action?: { type: 'startWorkflow'; workflowType: string };
  state: { paused: boolean; note?: string };
  info: { recentActions: ScheduleExecutionResult[]; nextActionTimes: Date[] };
  memo?: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
}

export interface ListScheduleOptions {
  pageSize?: number;
  /** A visibility-style query over the schedules (`ScheduleId`, `TemporalSchedulePaused`, search attributes…). */
  query?: string;
  signal?: AbortSignal;
}
