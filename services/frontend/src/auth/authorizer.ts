import { type Claims, RoleBit, rolesOn } from './claims.js';
import type { Access } from './rpc-access.js';

const { worker, reader, writer, admin } = RoleBit;

/** The roles that allow each namespace-scoped class (any one of them is enough). */
const NAMESPACE_ROLES: Readonly<Record<'read' | 'worker' | 'write' | 'admin', number>> = {
  read: reader | worker | writer | admin,
  worker: worker | writer | admin,
  write: writer | admin,
  admin,
};

const ROLE_NAMES: readonly [number, string][] = [
  [reader, 'reader'],
  [worker, 'worker'],
  [writer, 'writer'],
  [admin, 'admin'],
];

/** The role names in a bit set, for messages: "writer or admin". */
export function roleNames(bits: number): string {
  const names = ROLE_NAMES.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
  return names.length <= 1 ? (names[0] ?? 'none') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly unauthenticated: true }
  | { readonly allowed: false; readonly unauthenticated: false; readonly needs: string };

export interface AuthorizeOptions {
  readonly allowUnauthenticatedHealth: boolean;
}

/**
 * Temporal's default authorizer, with Odin's classes (rpc-access.ts): may a caller with `claims` (undefined: no
 * credentials) make a call of class `access` on `namespace` (the request's, '' for cluster-wide calls)? Pure: the
 * caller decides what a refusal looks like.
 */
export function authorize(
  claims: Claims | undefined,
  access: Access,
  namespace: string,
  options: AuthorizeOptions,
): Decision {
  if (access === 'health' && options.allowUnauthenticatedHealth) return { allowed: true };
  if (claims === undefined) return { allowed: false, unauthenticated: true };
  switch (access) {
    case 'health':
    case 'namespace-list':
      return { allowed: true };
    case 'system-read':
      return claims.system !== 0
        ? { allowed: true }
        : { allowed: false, unauthenticated: false, needs: 'a temporal-system role' };
    case 'system':
      return (claims.system & admin) !== 0
        ? { allowed: true }
        : { allowed: false, unauthenticated: false, needs: 'the temporal-system admin role' };
    default: {
      const needed = NAMESPACE_ROLES[access];
      if ((rolesOn(claims, namespace) & needed) !== 0) return { allowed: true };
      return {
        allowed: false,
        unauthenticated: false,
        needs: `the ${roleNames(needed)} role in namespace ${quoted(namespace)}`,
      };
    }
  }
}

/** The caller's own input, bounded: a refusal must stay small whatever was sent. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** Whether a caller may see a namespace in ListNamespaces: any role on it, or any system role. */
export function canSeeNamespace(claims: Claims, namespace: string): boolean {
  return rolesOn(claims, namespace) !== 0;
}
