import type { IPayload } from './proto-types.js';

/** Temporal headers: context (trace, auth) that travels with a call, a payload per key; never codec-encoded. */
export type Headers = Record<string, IPayload>;

/** The `next` an interceptor method gets: the method's own signature without its `next`. */
export type Next<I, M extends keyof I> = Required<I>[M] extends (input: infer In, next: never) => infer Out
  ? (input: In) => Out
  : never;

/**
 * Chains the `method` of each interceptor around `final`: the first interceptor is the outermost (it runs first
 * and its `next` calls the second), the official SDK's order.
 */
export function composeInterceptors<I, M extends keyof I>(
  interceptors: readonly I[],
  method: M,
  final: Next<I, M>,
): Next<I, M> {
  let next = final as (input: unknown) => unknown;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i]!;
    const fn = interceptor[method] as
      | ((input: unknown, next: (input: unknown) => unknown) => unknown)
      | undefined;
    if (typeof fn !== 'function') continue;
    const inner = next;
    next = (input) => fn.call(interceptor, input, inner);
  }
  return next as Next<I, M>;
}
