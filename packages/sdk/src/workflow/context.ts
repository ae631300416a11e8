import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkflowActivator } from './activator.js';
import type { CancellationScope } from './cancellation-scope.js';
import { IllegalStateError } from './errors.js';

// Kept on globalThis so two copies of this module (src and dist, say) still share one notion of "inside a workflow".
const ACTIVATOR_KEY = Symbol.for('odin.sdk.workflow.activator');
const SCOPE_KEY = Symbol.for('odin.sdk.workflow.scope');
const slots = globalThis as unknown as Record<symbol, unknown>;

/** The run whose workflow code is executing; carried through its promise continuations. */
export const activatorStorage: AsyncLocalStorage<WorkflowActivator> = (slots[ACTIVATOR_KEY] ??=
  new AsyncLocalStorage<WorkflowActivator>()) as AsyncLocalStorage<WorkflowActivator>;

/** The innermost CancellationScope of the executing workflow code (the run's root scope when unset). */
export const scopeStorage: AsyncLocalStorage<CancellationScope> = (slots[SCOPE_KEY] ??=
  new AsyncLocalStorage<CancellationScope>()) as AsyncLocalStorage<CancellationScope>;

export function currentActivator(): WorkflowActivator | undefined {
  return activatorStorage.getStore();
}

export function requireActivator(api: string): WorkflowActivator {
  const activator = activatorStorage.getStore();
  if (!activator) throw new IllegalStateError(`${api} may only be called from workflow code`);
  return activator;
}

/** True while workflow code (or code it called) is running. */
export function inWorkflowContext(): boolean {
  return activatorStorage.getStore() !== undefined;
}
