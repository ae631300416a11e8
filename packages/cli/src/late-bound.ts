import { ServiceError } from '@odin/api';

/**
 * An object whose methods forward to an implementation bound later. A role's gRPC server must listen before the
 * role exists (its address goes into membership, which the role's own routing needs), so the server is given this
 * stand-in; a call that arrives before `bind` is UNAVAILABLE, which callers retry.
 */
export function lateBound<T extends object>(role: string): { readonly proxy: T; bind(impl: T): void } {
  let impl: T | undefined;
  const proxy = new Proxy({} as T, {
    get(_target, property) {
      if (impl) {
        const value = Reflect.get(impl, property, impl) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(impl) : value;
      }
      if (property === 'then') return undefined;
      return () =>
        Promise.reject(ServiceError.unavailable(`The ${role} role of this host is still starting.`));
    },
  });
  return {
    proxy,
    bind(value) {
      impl = value;
    },
  };
}
