// The TLS material of a server process, as its configuration names it: one TlsMaterial for every client-facing
// listener (gRPC frontend, HTTP API, web UI) and one for the internal ports between roles.
import type { Clock } from '@odin/hugo';
import type { OdinConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { TlsFiles } from './pem-files.js';
import { TlsMaterial } from './tls-material.js';

/** Internal TLS: always mutual, and the peer's certificate must be valid for `serverName`. */
export interface InternalTlsMaterial {
  readonly material: TlsMaterial;
  /** The DNS name every internal certificate must be valid for; also sent as SNI. */
  readonly serverName: string;
}

export interface ServerTls {
  /** Client-facing listeners; with a CA bundle (TLS_CLIENT_CA), client certificates are required. */
  readonly public?: TlsMaterial;
  readonly internal?: InternalTlsMaterial;
}

/** The files of the client-facing listeners, when the configuration names them. */
export function publicTlsFiles(config: OdinConfig): TlsFiles | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  return {
    certFile: config.tlsCert,
    keyFile: config.tlsKey,
    ...(config.tlsClientCa === undefined ? {} : { caFile: config.tlsClientCa }),
  };
}

/** The files and peer name of the internal ports, when the configuration names them. */
export function internalTlsFiles(config: OdinConfig): { files: TlsFiles; serverName: string } | undefined {
  const { internalTlsCert, internalTlsKey, internalTlsCa, internalTlsServerName } = config;
  if (!internalTlsCert || !internalTlsKey || !internalTlsCa || !internalTlsServerName) return undefined;
  return {
    files: { certFile: internalTlsCert, keyFile: internalTlsKey, caFile: internalTlsCa },
    serverName: internalTlsServerName,
  };
}

/**
 * Loads the TLS material the configuration names (none when it names none) and watches the files for rotation
 * until `signal` aborts. `wanted` leaves out a kind the process has no port or client for (a history-only process
 * has no client-facing listener; a process running every role has no internal port). Throws TlsMaterialError when
 * a set of files is unusable.
 */
export async function loadServerTls(
  config: OdinConfig,
  context: { clock: Clock; logger: Logger; signal?: AbortSignal },
  wanted: { public?: boolean; internal?: boolean } = {},
): Promise<ServerTls> {
  const common = {
    clock: context.clock,
    logger: context.logger.child({ component: 'tls' }),
    refreshIntervalMs: config.tlsRefreshIntervalMs,
    ...(context.signal ? { signal: context.signal } : {}),
  };
  const publicFiles = wanted.public === false ? undefined : publicTlsFiles(config);
  const internal = wanted.internal === false ? undefined : internalTlsFiles(config);
  const publicMaterial = publicFiles
    ? await TlsMaterial.load(publicFiles, { ...common, name: 'public' })
    : undefined;
  try {
    const internalMaterial = internal
      ? await TlsMaterial.load(internal.files, { ...common, name: 'internal' })
      : undefined;
    return {
      ...(publicMaterial ? { public: publicMaterial } : {}),
      ...(internalMaterial && internal
        ? { internal: { material: internalMaterial, serverName: internal.serverName } }
        : {}),
    };
  } catch (error) {
    publicMaterial?.close();
    throw error;
  }
}
