// Who is on the other end of a mutually authenticated TLS connection: the verified client certificate's subject and
// subject alternative names, in a form an authorizer (claim mapper) can match on without parsing X.509 itself.
import type { PeerCertificate } from 'node:tls';

/** The identity a verified client certificate proves. Only built from certificates the TLS stack verified. */
export interface PeerIdentity {
  /** The subject distinguished name, e.g. "CN=payments-worker, O=Acme, OU=Payments" (attributes in certificate order). */
  readonly subject: string;
  /** The subject's attributes by short name (CN, O, OU, C, L, ST, …); an attribute given twice is an array. */
  readonly subjectAttributes: Readonly<Record<string, string | readonly string[]>>;
  /** The subject's (first) common name, when it has one. */
  readonly commonName?: string;
  /** The issuer's distinguished name, same form as `subject`. */
  readonly issuer: string;
  /** subjectAltName DNS entries. */
  readonly dnsNames: readonly string[];
  /** subjectAltName URI entries (e.g. SPIFFE ids: spiffe://cluster/ns/payments/sa/worker). */
  readonly uris: readonly string[];
  /** subjectAltName IP address entries. */
  readonly ipAddresses: readonly string[];
  /** subjectAltName email entries. */
  readonly emails: readonly string[];
  /** Hex serial number, as Node prints it. */
  readonly serialNumber: string;
  /** SHA-256 fingerprint of the DER certificate, colon-separated hex (what to pin). */
  readonly fingerprint256: string;
  /** Validity window, epoch ms. */
  readonly notBefore: number;
  readonly notAfter: number;
}

type Attributes = Record<string, string | string[] | undefined>;

function distinguishedName(attributes: Attributes | undefined): string {
  if (!attributes) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) parts.push(`${name}=${one}`);
  }
  return parts.join(', ');
}

/**
 * Splits Node's `subjectaltname` string ("DNS:a, URI:spiffe://x, IP Address:10.0.0.1"). Node quotes an entry whose
 * value holds a comma or a quote as a JSON string ('DNS:"a,b"'), so a plain split on ", " would cut such entries.
 */
export function parseSubjectAltName(value: string | undefined): { type: string; value: string }[] {
  const entries: { type: string; value: string }[] = [];
  if (!value) return entries;
  let rest = value;
  while (rest.length > 0) {
    const colon = rest.indexOf(':');
    if (colon < 0) break;
    const type = rest.slice(0, colon).trim();
    rest = rest.slice(colon + 1);
    let entry: string;
    if (rest.startsWith('"')) {
      // A JSON string: find its closing quote, skipping escaped ones.
      let end = 1;
      while (end < rest.length && rest[end] !== '"') end += rest[end] === '\\' ? 2 : 1;
      try {
        entry = JSON.parse(rest.slice(0, end + 1)) as string;
      } catch {
        entry = rest.slice(1, end);
      }
      rest = rest.slice(end + 1);
      const comma = rest.indexOf(',');
      rest = comma < 0 ? '' : rest.slice(comma + 1);
    } else {
      const comma = rest.indexOf(', ');
      entry = comma < 0 ? rest : rest.slice(0, comma);
      rest = comma < 0 ? '' : rest.slice(comma + 2);
    }
    entries.push({ type, value: entry });
    rest = rest.trimStart();
  }
  return entries;
}

/** The PeerIdentity of a certificate as `TLSSocket.getPeerCertificate()` returns it. */
export function peerIdentityFromCertificate(certificate: PeerCertificate): PeerIdentity {
  const subjectAttributes = (certificate.subject ?? {}) as unknown as Attributes;
  const names = parseSubjectAltName(certificate.subjectaltname);
  const of = (type: string) => names.filter((name) => name.type === type).map((name) => name.value);
  const cn = subjectAttributes.CN;
  const commonName = Array.isArray(cn) ? cn[0] : cn;
  const attributes: Record<string, string | readonly string[]> = {};
  for (const [key, value] of Object.entries(subjectAttributes))
    if (value !== undefined) attributes[key] = value;
  return {
    subject: distinguishedName(subjectAttributes),
    subjectAttributes: attributes,
    ...(commonName === undefined ? {} : { commonName }),
    issuer: distinguishedName(certificate.issuer as unknown as Attributes),
    dnsNames: of('DNS'),
    uris: of('URI'),
    ipAddresses: of('IP Address'),
    emails: of('email'),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    notBefore: Date.parse(certificate.valid_from),
    notAfter: Date.parse(certificate.valid_to),
  };
}

// Peer certificates repeat on every call of a connection; the identity of each is built once. Bounded: cleared
// whole when full (certificates are few, and rebuilding one costs microseconds).
const CACHE_LIMIT = 1024;
const identities = new Map<string, PeerIdentity>();

/**
 * The PeerIdentity of a grpc-js call's auth context, when the call came over TLS with a client certificate the
 * server verified; undefined otherwise (plaintext, or no client certificate).
 */
export function peerIdentityOf(
  authContext: { sslPeerCertificate?: PeerCertificate } | undefined,
): PeerIdentity | undefined {
  const certificate = authContext?.sslPeerCertificate;
  if (!certificate?.fingerprint256) return undefined;
  let identity = identities.get(certificate.fingerprint256);
  if (!identity) {
    if (identities.size >= CACHE_LIMIT) identities.clear();
    identity = peerIdentityFromCertificate(certificate);
    identities.set(certificate.fingerprint256, identity);
  }
  return identity;
}
