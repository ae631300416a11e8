import type { temporal } from '@temporalio/proto';
import type { CallContext, NamespaceRef } from './context.js';

type WS = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof WS> = WS[K] extends { create(p?: infer P): unknown } ? NonNullable<P> : never;

/**
 * Schedules as the frontend sees them: the system worker's schedule service (reads and writes of the schedule
 * rows, in any process), given to the frontend by the server assembly. Requests are Temporal's own messages; the
 * namespace comes resolved; responses are Temporal's response messages as plain objects (int64 fields may be
 * numbers). Failures are `ServiceError`s.
 */
export interface SchedulerApi {
  createSchedule(ns: NamespaceRef, req: Req<'CreateScheduleRequest'>, ctx: CallContext): Promise<object>;
  describeSchedule(ns: NamespaceRef, req: Req<'DescribeScheduleRequest'>, ctx: CallContext): Promise<object>;
  updateSchedule(ns: NamespaceRef, req: Req<'UpdateScheduleRequest'>, ctx: CallContext): Promise<object>;
  patchSchedule(ns: NamespaceRef, req: Req<'PatchScheduleRequest'>, ctx: CallContext): Promise<object>;
  listScheduleMatchingTimes(
    ns: NamespaceRef,
    req: Req<'ListScheduleMatchingTimesRequest'>,
    ctx: CallContext,
  ): Promise<object>;
  deleteSchedule(ns: NamespaceRef, req: Req<'DeleteScheduleRequest'>, ctx: CallContext): Promise<object>;
  listSchedules(ns: NamespaceRef, req: Req<'ListSchedulesRequest'>, ctx: CallContext): Promise<object>;
  countSchedules(ns: NamespaceRef, req: Req<'CountSchedulesRequest'>, ctx: CallContext): Promise<object>;
}
