import { WorkflowExecution } from './workflow-context.js';

/**
 * How a deterministic component scopes its keys:
 * - a string: that scope for every key;
 * - `null`: no scope (Hugo's behaviour: keys are global to the store);
 * - undefined: the ambient `WorkflowExecution.current()` run when there is one, else no scope.
 */
export type DeterministicScope = string | null | undefined;

/** The store key for `id` under `scope`: "{scope}|{id}", or `id` alone when unscoped. */
export function scopedKey(scope: DeterministicScope, id: string): string {
  const resolved = scope === undefined ? WorkflowExecution.current()?.scopeKey : scope;
  return resolved ? `${resolved}|${id}` : id;
}
