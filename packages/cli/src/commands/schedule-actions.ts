// What the `schedule …` verbs do (their options are defined in schedule.ts).
import type { CalendarSpec, IntervalSpec, ScheduleDescription, ScheduleOverlapPolicy } from '@odin/sdk';
import type { ClientFlags } from './client-options.js';
import type { CommandContext } from './context.js';
import { usageError } from './exit-codes.js';
import {
  formatDurationMs,
  formatTime,
  printJson,
  printJsonList,
  renderFields,
  renderTable,
} from './format.js';
import { optionalDuration, parseJsonArgs, parsePairs } from './parse.js';

export interface ScheduleFlags extends ClientFlags {
  scheduleId: string;
  type?: string;
  workflowId?: string;
  taskQueue?: string;
  input?: string[];
  interval?: string[];
  cron?: string[];
  calendar?: string[];
  startTime?: string;
  endTime?: string;
  jitter?: string;
  timeZone?: string;
  catchupWindow?: string;
  pauseOnFailure?: boolean;
  paused?: boolean;
  notes?: string;
  remainingActions?: string;
  memo?: string[];
  searchAttribute?: string[];
  overlapPolicy?: ScheduleOverlapPolicy;
  reason?: string;
}

function time(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw usageError(`${flag} must be an RFC 3339 time, e.g. 2026-01-31T09:00:00Z; got "${value}"`);
  return new Date(ms);
}

function interval(text: string): IntervalSpec {
  const [every = '', offset] = text.split('/');
  const everyMs = optionalDuration(every, '--interval');
  const offsetMs = optionalDuration(offset, '--interval offset');
  return { every: everyMs ?? 0, ...(offsetMs === undefined ? {} : { offset: offsetMs }) };
}

function fieldsOf(d: ScheduleDescription): [string, unknown][] {
  return [
    ['Schedule ID', d.scheduleId],
    ['Workflow type', d.action.workflowType],
    ['Workflow ID', d.action.workflowId],
    ['Task queue', d.action.taskQueue],
    ['Paused', d.state.paused],
    ['Notes', d.state.note ?? ''],
    ...(d.state.remainingActions === undefined
      ? []
      : [['Remaining actions', d.state.remainingActions] as [string, unknown]]),
    ['Overlap policy', d.policies.overlap],
    ['Catch-up window', formatDurationMs(d.policies.catchupWindow)],
    [
      'Intervals',
      d.spec.intervals.map((i) => `${formatDurationMs(i.every)}/${formatDurationMs(i.offset) || '0s'}`),
    ],
    ['Calendars', d.spec.calendars.length],
    ['Time zone', d.spec.timezone ?? 'UTC'],
    ['Actions taken', d.info.numActionsTaken],
    ['Skipped (overlap)', d.info.numActionsSkippedOverlap],
    ['Missed (catch-up)', d.info.numActionsMissedCatchupWindow],
    ['Running', d.info.runningActions.map((a) => a.workflow.workflowId)],
    ['Recent', d.info.recentActions.map((a) => a.action.workflow.workflowId)],
    ['Next times', d.info.nextActionTimes.map((t) => formatTime(t.getTime()))],
  ];
}

export async function create(
  { io, schedules, settings }: CommandContext,
  opts: ScheduleFlags,
): Promise<void> {
  const calendars = parseJsonArgs(opts.calendar, '--calendar') as CalendarSpec[];
  const intervals = (opts.interval ?? []).map(interval);
  const cronExpressions = opts.cron ?? [];
  if (calendars.length + intervals.length + cronExpressions.length === 0)
    throw usageError('a schedule needs at least one --interval, --cron or --calendar');
  const remaining = opts.remainingActions === undefined ? undefined : Number(opts.remainingActions);
  if (remaining !== undefined && (!Number.isInteger(remaining) || remaining < 0))
    throw usageError(`--remaining-actions must be a whole number >= 0, got "${opts.remainingActions}"`);
  const startAt = time(opts.startTime, '--start-time');
  const endAt = time(opts.endTime, '--end-time');
  const jitter = optionalDuration(opts.jitter, '--jitter');
  const catchupWindow = optionalDuration(opts.catchupWindow, '--catchup-window');
  const memo = parsePairs(opts.memo, '--memo', true);
  const searchAttributes = parsePairs(opts.searchAttribute, '--search-attribute', true);
  await schedules.create({
    scheduleId: opts.scheduleId,
    spec: {
      calendars,
      intervals,
      cronExpressions,
      ...(startAt ? { startAt } : {}),
      ...(endAt ? { endAt } : {}),
      ...(jitter === undefined ? {} : { jitter }),
      ...(opts.timeZone ? { timezone: opts.timeZone } : {}),
    },
    action: {
      workflowType: opts.type as string,
      workflowId: opts.workflowId as string,
      taskQueue: opts.taskQueue as string,
      args: parseJsonArgs(opts.input, '--input'),
    },
    policies: {
      ...(opts.overlapPolicy ? { overlap: opts.overlapPolicy } : {}),
      ...(catchupWindow === undefined ? {} : { catchupWindow }),
      pauseOnFailure: opts.pauseOnFailure === true,
    },
    state: {
      paused: opts.paused === true,
      ...(opts.notes === undefined ? {} : { note: opts.notes }),
      ...(remaining === undefined ? {} : { remainingActions: remaining }),
    },
    ...(Object.keys(memo).length ? { memo } : {}),
    ...(Object.keys(searchAttributes).length ? { searchAttributes } : {}),
  });
  if (settings.output === 'table') io.out(`Schedule ${opts.scheduleId} created\n`);
  else printJson(io, { scheduleId: opts.scheduleId, created: true }, settings.output);
}

export async function describe(
  { io, schedules, settings }: CommandContext,
  opts: ScheduleFlags,
): Promise<void> {
  const d = await schedules.getHandle(opts.scheduleId).describe();
  if (settings.output === 'table') io.out(renderFields(fieldsOf(d)));
  else printJson(io, d, settings.output);
}

export async function list({ io, schedules, settings }: CommandContext): Promise<void> {
  const all = [];
  for await (const s of schedules.list()) all.push(s);
  if (settings.output !== 'table') printJsonList(io, all, settings.output);
  else
    io.out(
      renderTable(
        ['SCHEDULE ID', 'WORKFLOW TYPE', 'PAUSED', 'NEXT', 'NOTES'],
        all.map((s) => [
          s.scheduleId,
          s.action?.workflowType ?? '',
          String(s.state.paused),
          formatTime(s.info.nextActionTimes[0]?.getTime()),
          s.state.note ?? '',
        ]),
      ),
    );
}

async function done(ctx: CommandContext, opts: ScheduleFlags, verb: string): Promise<void> {
  if (ctx.settings.output === 'table') ctx.io.out(`Schedule ${opts.scheduleId} ${verb}\n`);
  else printJson(ctx.io, { scheduleId: opts.scheduleId, [verb]: true }, ctx.settings.output);
}

export async function pause(ctx: CommandContext, opts: ScheduleFlags): Promise<void> {
  await ctx.schedules.getHandle(opts.scheduleId).pause(opts.reason || 'Paused via hugo-orchestrator');
  await done(ctx, opts, 'paused');
}

export async function unpause(ctx: CommandContext, opts: ScheduleFlags): Promise<void> {
  await ctx.schedules.getHandle(opts.scheduleId).unpause(opts.reason || 'Unpaused via hugo-orchestrator');
  await done(ctx, opts, 'unpaused');
}

export async function trigger(ctx: CommandContext, opts: ScheduleFlags): Promise<void> {
  await ctx.schedules.getHandle(opts.scheduleId).trigger(opts.overlapPolicy ?? 'ALLOW_ALL');
  await done(ctx, opts, 'triggered');
}

export async function backfill(ctx: CommandContext, opts: ScheduleFlags): Promise<void> {
  const start = time(opts.startTime, '--start-time') as Date;
  const end = time(opts.endTime, '--end-time') as Date;
  if (end.getTime() < start.getTime()) throw usageError('--end-time is before --start-time');
  await ctx.schedules
    .getHandle(opts.scheduleId)
    .backfill({ start, end, ...(opts.overlapPolicy ? { overlap: opts.overlapPolicy } : {}) });
  await done(ctx, opts, 'backfilled');
}

export async function remove(ctx: CommandContext, opts: ScheduleFlags): Promise<void> {
  await ctx.schedules.getHandle(opts.scheduleId).delete();
  await done(ctx, opts, 'deleted');
}
