// The same TlsMaterial on node:tls based listeners (node:https, the HTTP API and web UI): the options to create the
// server with, and the reload of its secure context when the material rotates. As with gRPC, a new certificate is
// used by connections made after the change; open connections keep theirs.
import type { SecureContextOptions, Server as TlsServer, TlsOptions } from 'node:tls';
import type { TlsMaterial } from './tls-material.js';

function contextOptions(material: TlsMaterial): SecureContextOptions {
  const { pem } = material.current();
  return { cert: pem.cert, key: pem.key, ...(pem.ca ? { ca: pem.ca } : {}) };
}

/**
 * Options for `https.createServer` / `tls.createServer` from the material: its certificate and key, and when it
 * has a CA bundle, client certificates requested and required (a client without one, or with one that bundle did
 * not sign, fails the handshake).
 */
export function tlsServerOptions(material: TlsMaterial): TlsOptions {
  return {
    ...contextOptions(material),
    requestCert: material.hasCa,
    rejectUnauthorized: material.hasCa,
    minVersion: 'TLSv1.2',
  };
}

/**
 * Keeps `server`'s certificate (and client CA bundle) equal to the material's: every accepted rotation is applied
 * with `setSecureContext`. Detaches itself when the server closes; returns the detach function.
 */
export function followTlsMaterial(server: TlsServer, material: TlsMaterial): () => void {
  const detach = material.onChange(() => server.setSecureContext(contextOptions(material)));
  server.once('close', detach);
  return detach;
}
