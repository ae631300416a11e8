// TLS for the frontend's HTTP listeners (Temporal's HTTP API, the web UI): the same TlsMaterial as the gRPC port,
// so one set of files and one rotation serve every client-facing port, and the same PeerIdentity for the calls.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { TLSSocket } from 'node:tls';
import { type PeerIdentity, peerIdentityOf } from '@odin/api';
import { followTlsMaterial, type TlsMaterial, tlsServerOptions } from '@odin/runtime';

/**
 * node:http taken as the built-in's own exports, not imported: an ESM import of node:http reads every export to
 * build its namespace, and Node 24's lazy WebSocket/MessageEvent exports then load undici (~60 ms at start-up).
 */
const { createServer: createHttpServer } = process.getBuiltinModule('node:http');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * An HTTP server for a client-facing port: HTTPS with `tls` (client certificates required when the material has a
 * CA bundle; a rotation applies to new connections), plain HTTP without.
 */
export function createClientFacingServer(handler: Handler, tls?: TlsMaterial): Server {
  if (!tls) return createHttpServer(handler);
  const server = createHttpsServer(tlsServerOptions(tls), handler);
  followTlsMaterial(server, tls);
  return server;
}

/** The verified client certificate of a request that came over mutual TLS, for FrontendService.invoke's `peer`. */
export function peerOfRequest(req: IncomingMessage): PeerIdentity | undefined {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return peerIdentityOf({ sslPeerCertificate: socket.getPeerCertificate() });
}
