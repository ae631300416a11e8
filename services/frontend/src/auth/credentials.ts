/** The client certificate a TLS listener verified: its subject (`CN=…,O=…` or one RDN a line) and its SANs. */
export interface TlsPeer {
  readonly subject: string;
  readonly sans: readonly string[];
}

/**
 * What a call presents to prove who sent it: the bearer token of its `authorization` header (gRPC metadata or
 * HTTP), and the verified client certificate of its connection. Either, both, or neither.
 */
export interface CallerCredentials {
  readonly bearerToken?: string;
  readonly tlsPeer?: TlsPeer;
}

/** What the TLS layer reports of a verified client certificate (structurally, `PeerIdentity` of `@odin/api`). */
export interface VerifiedPeer {
  readonly subject: string;
  readonly dnsNames?: readonly string[];
  readonly uris?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly emails?: readonly string[];
}

/** The claim mapper's view of a verified certificate: its subject and its SANs written `DNS:…`, `URI:…`, … */
export function tlsPeerOf(peer: VerifiedPeer): TlsPeer {
  return {
    subject: peer.subject,
    sans: [
      ...(peer.dnsNames ?? []).map((name) => `DNS:${name}`),
      ...(peer.uris ?? []).map((uri) => `URI:${uri}`),
      ...(peer.ipAddresses ?? []).map((ip) => `IP Address:${ip}`),
      ...(peer.emails ?? []).map((email) => `email:${email}`),
    ],
  };
}

/**
 * The credentials of the server's own in-process callers (system workers calling `FrontendService.invoke`): they
 * hold the temporal-system admin role. Recognised by identity, never by content, so nothing that arrives over the
 * network can present them.
 */
export const INTERNAL_CREDENTIALS: CallerCredentials = Object.freeze({});

/**
 * The credential in an `authorization` header value: the token after `Bearer ` (any case, as Temporal reads it).
 * A header with another scheme is kept whole, so it is refused as an invalid token rather than taken for none.
 */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  const match = /^bearer\s+(.+)$/i.exec(value);
  return match ? match[1]!.trim() : value;
}

/** Credentials from request headers, gRPC's and the HTTP API's alike (node's `IncomingHttpHeaders`: lower-case names). */
export function credentialsFromHttpHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  tlsPeer?: TlsPeer,
): CallerCredentials {
  const raw = headers.authorization;
  const bearerToken = bearerTokenOf(Array.isArray(raw) ? raw[0] : raw);
  return { ...(bearerToken === undefined ? {} : { bearerToken }), ...(tlsPeer ? { tlsPeer } : {}) };
}
