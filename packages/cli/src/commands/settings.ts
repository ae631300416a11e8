// Client settings from flags and environment; loaded when a client command runs (it needs the duration grammar).
import { readFileSync } from 'node:fs';
import { parseDuration } from '@odin/hugo';
import type { ConnectionOptions, TlsOptions } from '@odin/sdk';
import {
  type ClientFlags,
  DEFAULT_ADDRESS,
  DEFAULT_NAMESPACE,
  OUTPUT_FORMATS,
  type OutputFormat,
} from './client-options.js';
import { usageError } from './exit-codes.js';

export interface ClientSettings {
  address: string;
  namespace: string;
  tls: ConnectionOptions['tls'];
  /** The bearer token for a frontend that authorizes calls. */
  apiKey?: string;
  output: OutputFormat;
  callTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw usageError(`${flag}: cannot read ${path} (${reason})`);
  }
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Milliseconds of a duration flag in the project's one duration grammar; a bad one is a usage error. */
export function durationFlag(value: string, flag: string): number {
  const parsed = parseDuration(value);
  if (!parsed.ok)
    throw usageError(`${flag}: "${value}" is not a duration; use e.g. 500ms, 10s, 2m, 72h, 3d, 1h30m`);
  return parsed.value;
}

function tlsFrom(flags: ClientFlags, env: Env): ConnectionOptions['tls'] {
  const caPath = flags.tlsCa ?? nonEmpty(env.HUGO_ORCHESTRATOR_TLS_CA);
  const certPath = flags.tlsCert ?? nonEmpty(env.HUGO_ORCHESTRATOR_TLS_CERT);
  const keyPath = flags.tlsKey ?? nonEmpty(env.HUGO_ORCHESTRATOR_TLS_KEY);
  const serverName = flags.tlsServerName ?? nonEmpty(env.HUGO_ORCHESTRATOR_TLS_SERVER_NAME);
  const wanted = flags.tls === true || envFlag(env.HUGO_ORCHESTRATOR_TLS);
  if ((certPath === undefined) !== (keyPath === undefined)) {
    throw usageError('mTLS needs both --tls-cert and --tls-key (or HUGO_ORCHESTRATOR_TLS_CERT and _KEY)');
  }
  if (!wanted && !caPath && !certPath && !serverName) return undefined;
  const tls: TlsOptions = {};
  if (caPath) tls.ca = readPem(caPath, '--tls-ca');
  if (certPath && keyPath) {
    tls.cert = readPem(certPath, '--tls-cert');
    tls.key = readPem(keyPath, '--tls-key');
  }
  if (serverName) tls.serverName = serverName;
  return Object.keys(tls).length === 0 ? true : tls;
}

export function resolveClientSettings(flags: ClientFlags, env: Env): ClientSettings {
  const output = flags.output ?? nonEmpty(env.HUGO_ORCHESTRATOR_OUTPUT) ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    throw usageError(`output format "${output}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  const address =
    flags.address ??
    nonEmpty(env.HUGO_ORCHESTRATOR_ADDRESS) ??
    nonEmpty(env.TEMPORAL_ADDRESS) ??
    DEFAULT_ADDRESS;
  if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(address)) {
    throw usageError(`address "${address}" is not host:port (e.g. 127.0.0.1:7233)`);
  }
  const apiKey = flags.apiKey ?? nonEmpty(env.HUGO_ORCHESTRATOR_API_KEY) ?? nonEmpty(env.TEMPORAL_API_KEY);
  return {
    address,
    ...(apiKey === undefined ? {} : { apiKey }),
    namespace:
      flags.namespace ??
      nonEmpty(env.HUGO_ORCHESTRATOR_NAMESPACE) ??
      nonEmpty(env.TEMPORAL_NAMESPACE) ??
      DEFAULT_NAMESPACE,
    tls: tlsFrom(flags, env),
    output: output as OutputFormat,
    callTimeoutMs:
      flags.timeout === undefined ? DEFAULT_CALL_TIMEOUT_MS : durationFlag(flags.timeout, '--timeout'),
  };
}
