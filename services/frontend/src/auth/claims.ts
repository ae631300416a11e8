import { type AuthRole, type Permission, SYSTEM_SCOPE } from '@odin/runtime';

/** Roles as bits, so a caller's roles in one scope are one number (a caller may hold several). */
export const RoleBit: Readonly<Record<AuthRole, number>> = { worker: 1, reader: 2, writer: 4, admin: 8 };

/** What the frontend knows of an authenticated caller. */
export interface Claims {
  /**
   * Who the caller is: `jwt:<sub>` for a bearer token, `tls:<subject>` for a client certificate, both joined by
   * a space when the call carries both. Task tokens are bound to it.
   */
  readonly subject: string;
  /** Roles granted on every namespace (`temporal-system:<role>`); admin also grants the cluster-wide calls. */
  readonly system: number;
  /** Roles by namespace name (exact, case-sensitive, as namespaces are stored). */
  readonly namespaces: ReadonlyMap<string, number>;
}

/** Claims of a subject holding the given permissions. */
export function claimsFor(subject: string, permissions: Iterable<Permission>): Claims {
  let system = 0;
  const namespaces = new Map<string, number>();
  for (const { namespace, role } of permissions) {
    if (namespace === SYSTEM_SCOPE) system |= RoleBit[role];
    else namespaces.set(namespace, (namespaces.get(namespace) ?? 0) | RoleBit[role]);
  }
  return { subject, system, namespaces };
}

/** One caller presenting two credentials holds the roles of both. */
export function mergeClaims(a: Claims, b: Claims): Claims {
  const namespaces = new Map(a.namespaces);
  for (const [namespace, roles] of b.namespaces)
    namespaces.set(namespace, (namespaces.get(namespace) ?? 0) | roles);
  return { subject: `${a.subject} ${b.subject}`, system: a.system | b.system, namespaces };
}

/** The roles a caller holds on `namespace`, its system roles included. */
export function rolesOn(claims: Claims, namespace: string): number {
  return claims.system | (claims.namespaces.get(namespace) ?? 0);
}
