import {
  type CallContext,
  durationToMs,
  msToTimestamp,
  type NamespaceRef,
  type SchedulerApi,
  ServiceError,
  temporal,
  timestampToMs,
} from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  idLengthError,
  type PersistenceStore,
  ScheduleAlreadyExistsError,
  type ScheduleRecord,
  ScheduleVersionConflictError,
} from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import { actionResults, asLong } from './processor.js';
import { canonicalSpec, compileSpec } from './spec.js';
import { decodeRunState, encodeRunState, initialRunState, type ScheduleRunState } from './state.js';

type WS = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof WS> = WS[K] extends { create(p?: infer P): unknown } ? NonNullable<P> : never;
type ISchedule = T.api.schedule.v1.ISchedule;

const v1 = temporal.api.schedule.v1;
const FUTURE_ACTIONS_DESCRIBED = 10;
const FUTURE_ACTIONS_LISTED = 5;
const MAX_MATCHING_TIMES = 1000;
const DEFAULT_PAGE_SIZE = 1000;
/** A write that loses a compare-and-set to the runner is read and applied again, this many times at most. */
const WRITE_ATTEMPTS = 5;

export interface ScheduleServiceOptions {
  store: Pick<PersistenceStore, 'schedules'>;
  clock: Clock;
  /** Told when a schedule must be looked at before the runner's next scan (a trigger, an unpause, a new spec). */
  onDue?: (at: number) => void;
}

function invalid(message: string): ServiceError {
  return ServiceError.invalidArgument(message);
}

function scheduleNotFound(scheduleId: string): ServiceError {
  return ServiceError.notFound(`schedule "${scheduleId}" not found`);
}

function requireScheduleId(id: string | null | undefined): string {
  if (!id) throw invalid('ScheduleId is not set on request.');
  const problem = idLengthError(id, 'ScheduleId');
  if (problem) throw invalid(problem);
  return id;
}

function conflictToken(version: number): Uint8Array {
  return new TextEncoder().encode(String(version));
}

function versionOfToken(token: Uint8Array | null | undefined): number | undefined {
  if (!token || token.length === 0) return undefined;
  const n = Number(new TextDecoder().decode(token));
  return Number.isInteger(n) ? n : -1;
}

function decodeSchedule(bytes: Uint8Array): ISchedule {
  return v1.Schedule.decode(bytes);
}

function enumIn(value: number | null | undefined, values: object, field: string): void {
  if (value == null || value === 0) return;
  if (!Object.values(values).includes(value)) throw invalid(`Invalid ${field}: ${value}.`);
}

/** Checks a schedule's definition and returns it with its spec in canonical form. */
function checkedSchedule(schedule: ISchedule | null | undefined, scheduleId: string): ISchedule {
  if (!schedule) throw invalid('Schedule is not set on request.');
  const start = schedule.action?.startWorkflow;
  if (!start) throw invalid('Schedule action is not set: a schedule needs a start_workflow action.');
  if (!start.workflowId) throw invalid('WorkflowId is not set on the schedule action.');
  if (!start.workflowType?.name) throw invalid('WorkflowType is not set on the schedule action.');
  if (!start.taskQueue?.name) throw invalid('TaskQueue is not set on the schedule action.');
  enumIn(schedule.policies?.overlapPolicy, temporal.api.enums.v1.ScheduleOverlapPolicy, 'OverlapPolicy');
  if ((durationToMs(schedule.policies?.catchupWindow) ?? 0) < 0) throw invalid('CatchupWindow is negative.');
  const spec = canonicalSpec(schedule.spec);
  compileSpec(spec, scheduleId);
  const state = schedule.state ?? {};
  return {
    spec,
    action: schedule.action,
    policies: schedule.policies ?? {},
    state: {
      notes: state.notes ?? '',
      paused: state.paused === true,
      limitedActions: state.limitedActions === true,
      remainingActions: asLong(state.limitedActions ? Math.max(0, Number(state.remainingActions ?? 0)) : 0),
    },
  };
}

/** A patch (pause, unpause, trigger, backfill) applied to the definition and the runner's state. */
function applyPatch(
  schedule: ISchedule,
  state: ScheduleRunState,
  patch: T.api.schedule.v1.ISchedulePatch | null | undefined,
  now: number,
): boolean {
  if (!patch) return false;
  let due = false;
  if (patch.pause) schedule.state = { ...schedule.state, paused: true, notes: patch.pause };
  if (patch.unpause) {
    schedule.state = { ...schedule.state, paused: false, notes: patch.unpause };
    // Times that passed while paused are not caught up.
    state.lastProcessed = Math.max(state.lastProcessed, now);
    due = true;
  }
  if (patch.triggerImmediately) {
    const at = patch.triggerImmediately.scheduledTime
      ? (timestampToMs(patch.triggerImmediately.scheduledTime) ?? now)
      : now;
    state.triggers.push({ at, overlap: patch.triggerImmediately.overlapPolicy ?? 0 });
    due = true;
  }
  for (const backfill of patch.backfillRequest ?? []) {
    const start = timestampToMs(backfill.startTime);
    const end = timestampToMs(backfill.endTime);
    if (start === undefined || end === undefined) throw invalid('A backfill needs a start and an end time.');
    if (end < start) throw invalid('A backfill end time is before its start time.');
    state.backfills.push({ start, end, overlap: backfill.overlapPolicy ?? 0 });
    due = true;
  }
  return due;
}

/**
 * The schedule RPCs over the schedules table: definitions are checked and stored in canonical form, patches are
 * recorded in the runner's state for the runner (`ScheduleRunner`) to act on, describe and list read both.
 */
export class ScheduleService implements SchedulerApi {
  constructor(private readonly options: ScheduleServiceOptions) {}

  private nextWake(
    record: { schedule: ISchedule; state: ScheduleRunState; scheduleId: string },
    due: boolean,
  ): number | null {
    const now = this.options.clock.now();
    if (due || record.state.buffer.length > 0 || record.state.running.length > 0) return now;
    const next = compileSpec(record.schedule.spec ?? {}, record.scheduleId).next(record.state.lastProcessed);
    return next === undefined ? null : next.actual;
  }

  private notify(at: number | null): void {
    if (at !== null) this.options.onDue?.(at);
  }

  async createSchedule(ns: NamespaceRef, req: Req<'CreateScheduleRequest'>, _ctx: CallContext) {
    const scheduleId = requireScheduleId(req.scheduleId);
    const schedule = checkedSchedule(req.schedule, scheduleId);
    const now = this.options.clock.now();
    const state = initialRunState(now);
    const due = applyPatch(schedule, state, req.initialPatch, now);
    const requestId = req.requestId ?? '';
    const nextWakeTime = this.nextWake({ schedule, state, scheduleId }, due);
    try {
      await this.options.store.schedules.createSchedule({
        namespaceId: ns.id,
        scheduleId,
        schedule: v1.Schedule.encode(schedule).finish(),
        memo: req.memo ? temporal.api.common.v1.Memo.encode(req.memo).finish() : null,
        searchAttributes: req.searchAttributes
          ? temporal.api.common.v1.SearchAttributes.encode(req.searchAttributes).finish()
          : null,
        state: encodeRunState({ ...state, createRequestId: requestId }),
        nextWakeTime,
        createdAt: now,
        updatedAt: now,
      });
      this.notify(nextWakeTime);
      return { conflictToken: conflictToken(state.conflictToken) };
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyExistsError)) throw error;
      const existing = await this.options.store.schedules.getSchedule(ns.id, scheduleId);
      const existingRequest = existing ? decodeRunState(existing.state, now).createRequestId : undefined;
      // A retried create (same request id) succeeds again, as Temporal's deduplicated start does.
      if (existing && requestId !== '' && existingRequest === requestId)
        return { conflictToken: conflictToken(decodeRunState(existing.state, now).conflictToken) };
      throw ServiceError.workflowAlreadyStarted('schedule with this ID is already registered', requestId, '');
    }
  }

  private async load(ns: NamespaceRef, scheduleId: string): Promise<ScheduleRecord> {
    const record = await this.options.store.schedules.getSchedule(ns.id, scheduleId);
    if (!record) throw scheduleNotFound(scheduleId);
    return record;
  }

  /**
   * Read, change, compare-and-set on the row's version; again on a conflict with the runner. The caller's conflict
   * token, when given, must still be the schedule's.
   */
  private async modify(
    ns: NamespaceRef,
    scheduleId: string,
    expectedToken: number | undefined,
    change: (
      schedule: ISchedule,
      state: ScheduleRunState,
      record: ScheduleRecord,
    ) => {
      due: boolean;
      memo?: Uint8Array | null;
      searchAttributes?: Uint8Array | null;
    },
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.load(ns, scheduleId);
      const now = this.options.clock.now();
      const schedule = decodeSchedule(record.schedule);
      const state = decodeRunState(record.state, now);
      if (expectedToken !== undefined && expectedToken !== state.conflictToken)
        throw ServiceError.failedPrecondition('mismatched conflict token');
      const changed = change(schedule, state, record);
      state.conflictToken++;
      const nextWakeTime = this.nextWake({ schedule, state, scheduleId }, changed.due);
      try {
        await this.options.store.schedules.updateSchedule(
          {
            namespaceId: ns.id,
            scheduleId,
            schedule: v1.Schedule.encode(schedule).finish(),
            memo: changed.memo === undefined ? record.memo : changed.memo,
            searchAttributes:
              changed.searchAttributes === undefined ? record.searchAttributes : changed.searchAttributes,
            state: encodeRunState(state),
            nextWakeTime,
            updatedAt: now,
          },
          record.version,
        );
        this.notify(nextWakeTime);
        return;
      } catch (error) {
        if (!(error instanceof ScheduleVersionConflictError) || attempt >= WRITE_ATTEMPTS) throw error;
      }
    }
  }

  async describeSchedule(ns: NamespaceRef, req: Req<'DescribeScheduleRequest'>, _ctx: CallContext) {
    const scheduleId = requireScheduleId(req.scheduleId);
    const record = await this.load(ns, scheduleId);
    const now = this.options.clock.now();
    const schedule = decodeSchedule(record.schedule);
    const state = decodeRunState(record.state, now);
    return {
      schedule,
      info: {
        actionCount: state.actionCount,
        missedCatchupWindow: state.missedCatchupWindow,
        overlapSkipped: state.overlapSkipped,
        bufferDropped: state.bufferDropped,
        bufferSize: state.buffer.length,
        runningWorkflows: state.running.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
        recentActions: actionResults(state),
        futureActionTimes: this.futureTimes(schedule, state, scheduleId, FUTURE_ACTIONS_DESCRIBED),
        createTime: msToTimestamp(record.createdAt),
        updateTime: msToTimestamp(record.updatedAt),
      },
      ...(record.memo ? { memo: temporal.api.common.v1.Memo.decode(record.memo) } : {}),
      ...(record.searchAttributes
        ? { searchAttributes: temporal.api.common.v1.SearchAttributes.decode(record.searchAttributes) }
        : {}),
      conflictToken: conflictToken(state.conflictToken),
    };
  }

  private futureTimes(schedule: ISchedule, state: ScheduleRunState, scheduleId: string, count: number) {
    const s = schedule.state ?? {};
    if (s.limitedActions && Number(s.remainingActions ?? 0) <= 0) return [];
    const limit = s.limitedActions ? Math.min(count, Number(s.remainingActions)) : count;
    const spec = compileSpec(schedule.spec ?? {}, scheduleId);
    const out = [];
    let cursor = Math.max(state.lastProcessed, this.options.clock.now());
    for (let i = 0; i < limit; i++) {
      const next = spec.next(cursor);
      if (!next) break;
      out.push(msToTimestamp(next.actual));
      cursor = next.nominal;
    }
    return out;
  }

  async updateSchedule(ns: NamespaceRef, req: Req<'UpdateScheduleRequest'>, _ctx: CallContext) {
    const scheduleId = requireScheduleId(req.scheduleId);
    const next = checkedSchedule(req.schedule, scheduleId);
    await this.modify(ns, scheduleId, versionOfToken(req.conflictToken), (schedule, state) => {
      Object.assign(schedule, next);
      // The new spec counts from now: times the old spec left unhandled are not run under the new one.
      state.lastProcessed = Math.max(state.lastProcessed, this.options.clock.now());
      return {
        due: true,
        ...(req.memo ? { memo: temporal.api.common.v1.Memo.encode(req.memo).finish() } : {}),
        ...(req.searchAttributes
          ? {
              searchAttributes: temporal.api.common.v1.SearchAttributes.encode(req.searchAttributes).finish(),
            }
          : {}),
      };
    });
    return {};
  }

  async patchSchedule(ns: NamespaceRef, req: Req<'PatchScheduleRequest'>, _ctx: CallContext) {
    const scheduleId = requireScheduleId(req.scheduleId);
    if (!req.patch) throw invalid('Patch is not set on request.');
    await this.modify(ns, scheduleId, undefined, (schedule, state) => ({
      due: applyPatch(schedule, state, req.patch, this.options.clock.now()),
    }));
    return {};
  }

  async listScheduleMatchingTimes(
    ns: NamespaceRef,
    req: Req<'ListScheduleMatchingTimesRequest'>,
    _ctx: CallContext,
  ) {
    const scheduleId = requireScheduleId(req.scheduleId);
    const start = timestampToMs(req.startTime);
    const end = timestampToMs(req.endTime);
    if (start === undefined || end === undefined) throw invalid('StartTime and EndTime must be set.');
    if (end < start) throw invalid('EndTime is before StartTime.');
    const record = await this.load(ns, scheduleId);
    const spec = compileSpec(decodeSchedule(record.schedule).spec ?? {}, scheduleId);
    const times = [];
    let cursor = start - 1;
    while (times.length < MAX_MATCHING_TIMES) {
      const next = spec.next(cursor);
      if (!next || next.actual > end) break;
      times.push(msToTimestamp(next.actual));
      cursor = next.nominal;
    }
    return { startTime: times };
  }

  async deleteSchedule(ns: NamespaceRef, req: Req<'DeleteScheduleRequest'>, _ctx: CallContext) {
    const scheduleId = requireScheduleId(req.scheduleId);
    if (!(await this.options.store.schedules.deleteSchedule(ns.id, scheduleId)))
      throw scheduleNotFound(scheduleId);
    return {};
  }

  async listSchedules(ns: NamespaceRef, req: Req<'ListSchedulesRequest'>, _ctx: CallContext) {
    if (req.query && req.query.trim() !== '')
      throw invalid('the schedule service lists without a query (the frontend filters)');
    const pageSize = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE_SIZE;
    const token =
      req.nextPageToken && req.nextPageToken.length > 0
        ? new TextDecoder().decode(req.nextPageToken)
        : undefined;
    let page: Awaited<ReturnType<ScheduleServiceOptions['store']['schedules']['listSchedules']>>;
    try {
      page = await this.options.store.schedules.listSchedules(ns.id, {
        pageSize,
        ...(token === undefined ? {} : { pageToken: token }),
      });
    } catch (error) {
      if (token !== undefined) throw invalid('Invalid NextPageToken.');
      throw error;
    }
    const now = this.options.clock.now();
    return {
      schedules: page.items.map((record) => {
        const schedule = decodeSchedule(record.schedule);
        const state = decodeRunState(record.state, now);
        return {
          scheduleId: record.scheduleId,
          ...(record.memo ? { memo: temporal.api.common.v1.Memo.decode(record.memo) } : {}),
          ...(record.searchAttributes
            ? { searchAttributes: temporal.api.common.v1.SearchAttributes.decode(record.searchAttributes) }
            : {}),
          info: {
            spec: schedule.spec ?? null,
            workflowType: schedule.action?.startWorkflow?.workflowType ?? null,
            notes: schedule.state?.notes ?? '',
            paused: schedule.state?.paused === true,
            recentActions: actionResults(state),
            futureActionTimes: this.futureTimes(schedule, state, record.scheduleId, FUTURE_ACTIONS_LISTED),
          },
        };
      }),
      ...(page.nextPageToken ? { nextPageToken: new TextEncoder().encode(page.nextPageToken) } : {}),
    };
  }

  async countSchedules(ns: NamespaceRef, req: Req<'CountSchedulesRequest'>, _ctx: CallContext) {
    if (req.query && req.query.trim() !== '')
      throw invalid('the schedule service counts without a query (the frontend filters)');
    return { count: await this.options.store.schedules.countSchedules(ns.id) };
  }
}
