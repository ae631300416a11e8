import { type Permission, parsePermission, type TlsSubjectMap } from '@odin/runtime';
import { type Claims, claimsFor } from './claims.js';
import type { TlsPeer } from './credentials.js';

/** SAN type prefixes as node and OpenSSL print them (`DNS:host`, `URI:spiffe://…`, `IP Address:10.0.0.1`). */
const SAN_PREFIX = /^(?:DNS|URI|IP Address|IP|email|RID|DirName|othername):\s*/i;

/** The CN of a subject written `CN=a,O=b`, `/CN=a/O=b` or one attribute a line (node's X509Certificate). */
export function commonNameOf(subject: string): string | undefined {
  const match = /(?:^|[,/\n+])\s*CN\s*=\s*([^,/\n+]+)/i.exec(subject);
  return match?.[1]?.trim();
}

/**
 * Maps a verified client certificate to claims through the configured map: an entry keyed by the certificate's CN,
 * its whole subject, or one of its SANs (with or without the type prefix) grants its permissions; several entries
 * add up. A certificate no entry names is authenticated but holds no role.
 */
export class TlsClaimMapper {
  readonly #map: ReadonlyMap<string, readonly Permission[]>;

  constructor(map: TlsSubjectMap) {
    this.#map = new Map(
      Object.entries(map).map(([key, permissions]) => [
        key,
        permissions.map((p) => parsePermission(p)).filter((p): p is Permission => p !== undefined),
      ]),
    );
  }

  claims(peer: TlsPeer): Claims {
    const names = new Set<string>([peer.subject]);
    const cn = commonNameOf(peer.subject);
    if (cn) names.add(cn);
    for (const san of peer.sans) {
      names.add(san);
      names.add(san.replace(SAN_PREFIX, ''));
    }
    const permissions: Permission[] = [];
    for (const name of names) permissions.push(...(this.#map.get(name) ?? []));
    return claimsFor(`tls:${peer.subject}`, permissions);
  }
}
