import {
  type LocalActivityResolution,
  readLocalActivityMarkerData,
  readLocalActivityOutcome,
} from '../common/local-activity-marker.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import { deliver } from './activation.js';
import type { WorkflowActivator } from './activator.js';
import { localActivitySeqOf } from './command-matching.js';
import type { LocalActivityRequest } from './local-activities.js';
import type { WorkflowInfo } from './workflow-info.js';

/**
 * Runs one local activity in the worker (with its local retries) and says how it ended. `workflowTime` is the
 * workflow time when it was dispatched: its marker's complete time is that plus the time it ran. Never rejects.
 */
export type LocalActivityRunner = (
  request: LocalActivityRequest,
  workflow: WorkflowInfo,
  workflowTime: number,
) => Promise<LocalActivityResolution>;

/** The local activity outcomes a workflow task's recorded command events hold, in history order, by sequence. */
function recordedResolutions(recorded: readonly IHistoryEvent[]): Map<number, LocalActivityResolution> {
  const out = new Map<number, LocalActivityResolution>();
  for (const event of recorded) {
    if (localActivitySeqOf(event) === undefined) continue;
    const marker = event.markerRecordedEventAttributes!;
    const data = readLocalActivityMarkerData(marker.details);
    if (data) out.set(data.seq, { data, outcome: readLocalActivityOutcome(marker.details, marker.failure) });
  }
  return out;
}

/**
 * Resolves the local activities the workflow scheduled in this activation, once it is blocked, until none is
 * left waiting. Replaying a completed task, each resolves from its marker among the task's recorded command
 * events, in history order; one whose marker a later task recorded keeps waiting (core does the same when a long
 * local activity spans workflow tasks). In the open task the worker runs them, concurrently, delivering each
 * outcome as it arrives. Every delivery is followed by a settle, so the commands land where a live run put them.
 */
export async function resolveLocalActivities(
  run: WorkflowActivator,
  recorded: readonly IHistoryEvent[] | undefined,
  runner: LocalActivityRunner | undefined,
): Promise<void> {
  const fromHistory = recorded ? recordedResolutions(recorded) : undefined;
  const running = new Set<number>();
  const completed: LocalActivityResolution[] = [];
  let wake: (() => void) | undefined;
  try {
    for (;;) {
      if (run.taskFailure !== undefined || run.isCompleted) return;
      const waiting = run.localActivities.unresolved();
      if (waiting.length === 0) return;
      let ready: LocalActivityResolution[];
      if (fromHistory) {
        const seqs = new Set(waiting.map((w) => w.seq));
        ready = [...fromHistory.values()].filter((r) => seqs.has(r.data.seq));
        if (ready.length === 0) return;
        for (const r of ready) fromHistory.delete(r.data.seq);
      } else {
        if (!runner) return;
        for (const request of waiting) {
          if (running.has(request.seq)) continue;
          running.add(request.seq);
          void runner(request, run.info, run.now).then((resolution) => {
            completed.push(resolution);
            wake?.();
          });
        }
        if (completed.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        ready = completed.splice(0);
        for (const r of ready) running.delete(r.data.seq);
      }
      await deliver(run, () => {
        for (const resolution of ready) run.localActivities.resolve(resolution);
      });
    }
  } finally {
    // The run ended (or its task failed) with local activities still running: nothing will read their outcome.
    if (running.size > 0) run.localActivities.abortUnresolved();
  }
}
