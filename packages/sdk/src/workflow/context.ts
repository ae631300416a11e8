import { activatorStorage, type WorkflowActivator } from './activator.js';
import { IllegalStateError } from './errors.js';

export function requireActivator(api: string): WorkflowActivator {
  const activator = activatorStorage.getStore();
  if (!activator) throw new IllegalStateError(`${api} may only be called from workflow code`);
  return activator;
}

/** True while workflow code (or code it called) is running. */
export function inWorkflowContext(): boolean {
  return activatorStorage.getStore() !== undefined;
}
