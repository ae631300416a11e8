import type { IHistoryEvent } from '../common/proto-types.js';
import { activatorStorage, type WorkflowActivator } from './activator.js';
import { scopeStorage } from './cancellation-scope.js';
import { IllegalStateError, UnhandledEventError } from './errors.js';
import { applyEvent } from './event-table.js';

/** Runs `fn` as workflow code of `run`: inside its deterministic context, in its root cancellation scope. */
function inRun<T>(run: WorkflowActivator, fn: () => T): T {
  return activatorStorage.run(run, () => scopeStorage.run(run.rootScope, fn));
}

/**
 * Delivers the events of one workflow task to the run and lets the workflow run until it blocks. An event the
 * event table has no handler for fails the workflow task, naming the event.
 */
export async function activate(
  run: WorkflowActivator,
  events: readonly IHistoryEvent[],
  now: number,
  historyLength: number,
): Promise<void> {
  run.now = now;
  run.info.historyLength = historyLength;
  inRun(run, () => {
    for (const event of events) {
      if (run.taskFailure !== undefined) break;
      const unhandled = applyEvent(run.events, event);
      if (unhandled !== undefined) run.execution.failTask(new UnhandledEventError(unhandled, event));
    }
  });
  await settle(run);
}

/** Runs `deliver` as workflow code of `run` (settling what it waits on), then lets the workflow run until it blocks. */
export async function deliver(run: WorkflowActivator, deliver: () => void): Promise<void> {
  inRun(run, deliver);
  await settle(run);
}

/** Waits until no microtask, live side effect or satisfiable condition is left. */
async function settle(run: WorkflowActivator): Promise<void> {
  for (;;) {
    await nextMacrotask();
    if (run.markers.liveEffects.size > 0) {
      await Promise.allSettled([...run.markers.liveEffects]);
      continue;
    }
    if (run.taskFailure !== undefined) return;
    if (inRun(run, () => run.conditions.resolveHolding())) continue;
    return;
  }
}

/** Runs a query handler against the run's current state; queries may not issue commands. */
export function answerQuery(run: WorkflowActivator, name: string, args: unknown[]): unknown {
  const handler = run.signals.queryHandler(name, run.info.workflowType);
  const before = run.commands.length;
  const value = inRun(run, () => handler(...args));
  if (run.commands.length !== before || value instanceof Promise) {
    run.commands.truncate(before);
    throw new IllegalStateError(`Query handler "${name}" must be synchronous and must not issue commands`);
  }
  return value;
}

// The real setImmediate, captured before any workflow global is replaced.
const realSetImmediate = globalThis.setImmediate;

/** One event-loop turn: every microtask queued by workflow code has run when it resolves. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}
