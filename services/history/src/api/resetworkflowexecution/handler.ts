import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import { WorkflowStatus } from '@odin/persistence';
import type { HistoryEngine } from '../../engine.js';
import type { Mutation } from '../../state/history-builder.js';
import type { MutableState } from '../../state/mutable-state.js';
import { buildResetRun, resetPointOf } from '../../state/reset.js';
import { pendingWorkAt } from '../../state/reset-pending.js';
import { postResetSignals } from '../../state/reset-post-operations.js';
import { reappliedEvents, reapplyExclusions } from '../../state/reset-reapply.js';
import type { WorkflowSignal } from '../../state/signal.js';
import { terminateRun } from '../../state/terminate.js';
import type { HistoryEvent } from '../../util/codec.js';

/** How often a reset is built again when the base run moved on between reading its history and locking it. */
const MAX_ATTEMPTS = 3;

/**
 * ResetWorkflowExecution: a new run of the workflow with the base run's history up to the named workflow task, that
 * task failed (RESET_WORKFLOW), the work open at that point resumed (activities scheduled again, timers re-armed,
 * children taken over, external signals and cancel requests sent again, accepted updates kept), the signals and
 * updates received after it reapplied (per the reapply type and exclusions), the signals of the post-reset
 * operations (a versioning one is refused), and a new workflow task;
 * the workflow's current run, if it is still running, is terminated with the reset's reason in the same transaction.
 * The base run may be closed; the signals and updates of the runs it continued as are reapplied too. A retried
 * request (same request id) answers the run it created.
 */
export async function resetWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'ResetWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'ResetWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId)
    throw ServiceError.invalidArgument('WorkflowExecution.WorkflowId is not set on the request.');
  const finishEventId = Number(req.workflowTaskFinishEventId ?? 0);
  if (!(finishEventId > 1)) {
    throw ServiceError.invalidArgument(
      'WorkflowTaskFinishEventId must name a workflow task event of the run.',
    );
  }
  // Checked first: a reset that cannot do all it is asked changes nothing.
  const signals = postResetSignals(req.postResetOperations, req.identity ?? '');
  const requestId = req.requestId || engine.uuid();
  for (let attempt = 1; ; attempt++) {
    const result = await tryReset(engine, ns, req, workflowId, finishEventId, requestId, signals);
    if (result) return result;
    if (attempt >= MAX_ATTEMPTS) {
      throw ServiceError.unavailable('The workflow kept changing while it was being reset; try again.');
    }
  }
}

/** One attempt; undefined when the base run wrote events after its history was read (the caller reads again). */
async function tryReset(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'ResetWorkflowExecutionRequest'>,
  workflowId: string,
  finishEventId: number,
  requestId: string,
  signals: readonly WorkflowSignal[],
): Promise<Res<'ResetWorkflowExecutionResponse'> | undefined> {
  // The base run's history is read before taking the workflow's lock for the reset; the reset checks under the lock
  // that the run wrote nothing since.
  const base = await engine.read(
    ns.id,
    workflowId,
    req.workflowExecution?.runId || undefined,
    async (run) => {
      if (finishEventId >= run.ms.nextEventId) {
        throw ServiceError.invalidArgument(
          `WorkflowTaskFinishEventId ${finishEventId} is past the run's last event ${run.ms.nextEventId - 1}.`,
        );
      }
      const events = await engine.readEvents(run, 1, run.ms.nextEventId);
      return { ms: structuredClone(run.ms), events };
    },
  );
  const later = await continuedRuns(engine, ns.id, workflowId, base.events);
  const last = later.at(-1) ?? base;
  const point = resetPointOf(base.events.slice(0, finishEventId), finishEventId);
  const kept = base.events.slice(0, point.startedEventId);
  const work = pendingWorkAt(kept);
  const excluded = reapplyExclusions(req.resetReapplyType, req.resetReapplyExcludeTypes);
  const reason = req.reason ?? '';
  return engine.create(ns.id, workflowId, async (scope) => {
    const current = scope.current;
    if (!current) throw ServiceError.notFound(`Workflow execution not found. WorkflowId: ${workflowId}.`);
    if (current.createRequestId === requestId) return { result: { runId: current.runId } };
    // The base run's events after the point; then, for reapplying only, those of the runs it continued as.
    let after = base.events.slice(point.startedEventId);
    let continued = later.flatMap((run) => run.events);
    let baseRun: Mutation | undefined;
    if (current.status === WorkflowStatus.RUNNING) {
      const running = await scope.open(current.runId);
      const isLast = current.runId === last.ms.runId;
      if (isLast && running.ms.nextEventId !== last.ms.nextEventId) return { result: undefined };
      terminateRun(running, reason, req.identity ?? '', null);
      // The termination writes what the run still buffered (signals received while a workflow task ran) before its
      // Terminated event: those came after the point too.
      if (current.runId === base.ms.runId) {
        baseRun = running;
        after = [...after, ...running.events];
      } else if (isLast) {
        continued = [...continued, ...running.events];
      }
    }
    const runId = scope.uuid();
    // The base run hands its children over: it applies no parent-close policy to them (as Temporal skips it for a
    // run the resetter terminated), and forwards the close of each to the new run.
    baseRun ??= await scope.open(base.ms.runId);
    baseRun.ms.resetRunId = runId;
    if (baseRun.closed) baseRun.ms.children = {};
    baseRun.dirty = true;
    const mut = buildResetRun(scope, {
      base: base.ms,
      kept,
      point,
      work,
      after,
      reapply: reappliedEvents(kept, [...after, ...continued], excluded),
      postResetSignals: signals,
      newRunId: runId,
      reason,
      identity: req.identity ?? '',
      requestId,
    });
    return {
      result: { runId },
      create: { mut, current: { mode: 'replace', expectedCurrentRunId: current.runId }, requestId },
    };
  });
}

/** How many continue-as-new runs after the base run a reset reads for events to reapply (Temporal follows the chain). */
const MAX_CONTINUED_RUNS = 100;

/**
 * The runs the base run continued as (each ended with WorkflowExecutionContinuedAsNew naming the next), in order,
 * with their events: their signals and updates are reapplied too.
 */
async function continuedRuns(
  engine: HistoryEngine,
  namespaceId: string,
  workflowId: string,
  baseEvents: readonly HistoryEvent[],
): Promise<{ ms: MutableState; events: HistoryEvent[] }[]> {
  const runs: { ms: MutableState; events: HistoryEvent[] }[] = [];
  let events = baseEvents;
  while (runs.length < MAX_CONTINUED_RUNS) {
    const next = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) break;
    const run = await engine.read(namespaceId, workflowId, next, async (r) => ({
      ms: structuredClone(r.ms),
      events: await engine.readEvents(r, 1, r.ms.nextEventId),
    }));
    runs.push(run);
    events = run.events;
  }
  return runs;
}
