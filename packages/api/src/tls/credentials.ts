// grpc-js credentials over reloadable TLS material (a certificate provider, see @odin/runtime's TlsMaterial): the
// server credentials of the frontend and of the internal ports, the channel credentials between roles, and the
// check of an internal peer's name on the server side.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import {
  type ChannelCredentials,
  type ChannelOptions,
  experimental,
  Metadata,
  type ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from '@grpc/grpc-js';

export type CertificateProvider = experimental.CertificateProvider;

/**
 * TLS between roles: `material` is this process's certificate and key and the CA bundle peers are verified
 * against; every peer, client or server, must present a certificate that bundle signed and that is valid for
 * `serverName`.
 */
export interface InternalTls {
  readonly material: CertificateProvider;
  readonly serverName: string;
}

/**
 * Server credentials that always use the newest material of `material` for new connections. With
 * `requireClientCertificate`, `material` must also provide a CA bundle: clients without a certificate it signed
 * fail the handshake.
 */
export function tlsServerCredentials(
  material: CertificateProvider,
  requireClientCertificate: boolean,
): ServerCredentials {
  // grpc-js 1.14.7 declares (caCertificateProvider, identityCertificateProvider, …) but passes them on as
  // (identity, ca): the first argument is the identity, the second the CA. One object provides both here, and
  // a server without client certificates passes no CA provider (second argument null), which is right either way.
  return experimental.createCertificateProviderServerCredentials(
    material,
    requireClientCertificate ? material : null,
    requireClientCertificate,
  );
}

// One credentials object per InternalTls: grpc-js shares connections between channels whose credentials are equal,
// and CertificateProvider channel credentials are equal only when they are the same providers.
const channelCredentials = new WeakMap<InternalTls, ChannelCredentials>();

/**
 * Channel credentials and options of a client of an internal port: this process's certificate as the client
 * certificate, the peer verified against the CA bundle and `serverName` (sent as SNI too: peers are dialled by IP
 * address, which is neither what their certificates name nor a valid SNI value).
 */
export function internalChannel(tls: InternalTls): {
  credentials: ChannelCredentials;
  options: ChannelOptions;
} {
  let credentials = channelCredentials.get(tls);
  if (!credentials) {
    credentials = experimental.createCertificateProviderChannelCredentials(tls.material, tls.material);
    channelCredentials.set(tls, credentials);
  }
  return { credentials, options: { 'grpc.ssl_target_name_override': tls.serverName } };
}

/** Why `certificate` is not a valid peer for `serverName` (RFC 6125 rules, as node:tls checks a server), or undefined. */
export function peerNameMismatch(
  serverName: string,
  certificate: PeerCertificate | undefined,
): string | undefined {
  if (!certificate?.raw) return 'the peer presented no verified certificate';
  const error = checkServerIdentity(serverName, certificate);
  return error ? error.message : undefined;
}

/**
 * A server interceptor that refuses (UNAUTHENTICATED) every call whose client certificate is not valid for
 * `serverName`. The TLS handshake has already checked the certificate against the CA bundle; this adds the name,
 * which node:tls checks only on the client side.
 */
export function peerNameInterceptor(serverName: string): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        const mismatch = peerNameMismatch(serverName, call.getAuthContext().sslPeerCertificate);
        if (mismatch === undefined) {
          next();
          return;
        }
        next({
          onReceiveMetadata: () => {
            call.sendStatus({
              code: status.UNAUTHENTICATED,
              details: `internal peer refused: ${mismatch} (expected a certificate for ${serverName})`,
              metadata: new Metadata(),
            });
          },
        });
      },
    });
}
