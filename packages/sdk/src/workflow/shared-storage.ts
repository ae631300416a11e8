import { AsyncLocalStorage } from 'node:async_hooks';

const slots = globalThis as unknown as Record<symbol, unknown>;

/**
 * An AsyncLocalStorage kept on globalThis under `name`, so two copies of the module that asks for it (src and
 * dist, say) still share one notion of "inside a workflow".
 */
export function sharedStorage<T>(name: string): AsyncLocalStorage<T> {
  slots[Symbol.for(name)] ??= new AsyncLocalStorage<T>();
  return slots[Symbol.for(name)] as AsyncLocalStorage<T>;
}
