import type { IHistoryEvent } from '../common/proto-types.js';
import { activatorStorage, type WorkflowActivator } from './activator.js';
import { scopeStorage } from './cancellation-scope.js';
import { IllegalStateError, UnhandledEventError } from './errors.js';
import { applyEvent } from './event-table.js';
import { composeInterceptors, type Headers } from '../common/interceptors.js';

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

/**
 * Runs a query handler (through the run's inbound interceptors) against the run's current state. The handler
 * must be synchronous; neither it nor an interceptor may issue commands.
 */
export async function answerQuery(
  run: WorkflowActivator,
  name: string,
  args: unknown[],
  headers: Headers = {},
  queryId = '',
): Promise<unknown> {
  const before = run.commands.length;
  const misbehaved = () =>
    new IllegalStateError(`Query handler "${name}" must be synchronous and must not issue commands`);
  const ask = composeInterceptors(run.inbound, 'handleQuery', async (input) => {
    const handler = run.signals.queryHandler(input.queryName, run.info.workflowType);
    const value = handler(...input.args);
    if (value instanceof Promise) throw misbehaved();
    return value;
  });
  try {
    const value = await inRun(run, () => ask({ queryId, queryName: name, args, headers }));
    if (run.commands.length !== before) throw misbehaved();
    return value;
  } finally {
    run.commands.truncate(before);
  }
}

// The real setImmediate, captured before any workflow global is replaced.
const realSetImmediate = globalThis.setImmediate;

/** One event-loop turn: every microtask queued by workflow code has run when it resolves. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}
