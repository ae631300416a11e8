import type { ScheduleCallTimes } from './client-workload.js';
import type { Fault, ScheduleSpec } from './workload.js';

/** The workflow id a schedule's action gets for a scheduled time: the prefix and the time, whole seconds, UTC. */
export function tickWorkflowId(schedule: ScheduleSpec, at: number): string {
  return `${schedule.workflowIdPrefix}-${new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z')}`;
}

export interface ScheduleWindows {
  /** Scheduled times whose action must have started (exactly once). */
  readonly required: readonly number[];
  /** Scheduled times whose action may have started (at most once): the required ones and those at the edges. */
  readonly allowed: readonly number[];
}

function timesIn(everyMs: number, after: number, upTo: number): number[] {
  const times: number[] = [];
  for (let t = Math.floor(after / everyMs) * everyMs + everyMs; t <= upTo; t += everyMs) times.push(t);
  return times;
}

/**
 * Which scheduled times a schedule must and may have acted on, from when the client's calls were made and
 * answered. The schedule exists from some instant between the first create attempt and its answer (the times at
 * that edge are allowed, not required). One with an end time must act on every time after that up to the end: the
 * catch-up window is a year, so a crash or pause of the runner only delays them. One paused later may act on the
 * times up to the pause's answer, none after, and none of them is required: as in Temporal, a start still being
 * retried when the pause lands is dropped. A schedule created paused acts on nothing. The frontend process's clock
 * may run ahead of the simulation's by its clock jumps (`marginMs`). Undefined while the client's calls are still
 * unanswered.
 */
export function scheduleWindows(
  schedule: ScheduleSpec,
  times: ScheduleCallTimes,
  marginMs: number,
  endTime: number | undefined,
): ScheduleWindows | undefined {
  if (times.createSentAt === undefined || times.createdAt === undefined) return undefined;
  if (schedule.createPaused) return { required: [], allowed: [] };
  if (endTime !== undefined)
    return {
      required: timesIn(schedule.everyMs, times.createdAt + marginMs, endTime),
      allowed: timesIn(schedule.everyMs, times.createSentAt - marginMs, endTime),
    };
  if (times.pauseSentAt === undefined || times.pausedAt === undefined) return undefined;
  return {
    required: [],
    allowed: timesIn(schedule.everyMs, times.createSentAt - marginMs, times.pausedAt + marginMs),
  };
}

/** How far the frontend's clock (where schedules are created and run) may be ahead of the simulation's. */
export function frontendSkewMargin(faults: readonly Fault[], frontend: string): number {
  return (
    1_000 +
    faults
      .filter((f) => f.kind === 'clock-jump' && f.target === frontend)
      .reduce((sum, f) => sum + (f.jumpMs ?? 0), 0)
  );
}
