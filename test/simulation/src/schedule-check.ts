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
 * answered. The schedule exists from some instant between the first create attempt and its answer, and stops once
 * the pause lands, between the first pause attempt and its answer; every time strictly inside is required (the
 * catch-up window is a year, so a crash or pause of the runner only delays them), the times at the edges are
 * allowed. The frontend process's clock may run ahead of the simulation's by its clock jumps (`marginMs`).
 * Undefined while the client's calls are still unanswered.
 */
export function scheduleWindows(
  schedule: ScheduleSpec,
  times: ScheduleCallTimes,
  marginMs: number,
): ScheduleWindows | undefined {
  if (times.createSentAt === undefined || times.createdAt === undefined) return undefined;
  if (schedule.createPaused) return { required: [], allowed: [] };
  if (times.pauseSentAt === undefined || times.pausedAt === undefined) return undefined;
  return {
    required: timesIn(schedule.everyMs, times.createdAt + marginMs, times.pauseSentAt - marginMs),
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
