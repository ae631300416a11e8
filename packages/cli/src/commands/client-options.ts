import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from '@odin/sdk';
import { type Command, Option } from 'commander';
import { usageError } from './exit-codes.js';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';
export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The options every client command takes, as commander parses them (before the environment fills gaps). */
export interface ClientFlags {
  address?: string;
  namespace?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  output?: string;
  timeout?: string;
}

export interface ClientSettings {
  address: string;
  namespace: string;
  tls: ConnectionOptions['tls'];
  output: OutputFormat;
  callTimeoutMs: number;
}

/** Flags win over environment variables, which win over defaults; the environment is read here, not by commander. */
export function addClientOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--address <host:port>',
        `frontend address [env HUGO_ORCHESTRATOR_ADDRESS] (default ${DEFAULT_ADDRESS})`,
      ),
    )
    .addOption(
      new Option(
        '-n, --namespace <name>',
        `namespace [env HUGO_ORCHESTRATOR_NAMESPACE] (default "${DEFAULT_NAMESPACE}")`,
      ),
    )
    .addOption(new Option('--tls', 'use TLS with the system roots [env HUGO_ORCHESTRATOR_TLS=true]'))
    .addOption(
      new Option('--tls-ca <path>', 'PEM CA bundle to verify the server [env HUGO_ORCHESTRATOR_TLS_CA]'),
    )
    .addOption(
      new Option('--tls-cert <path>', 'PEM client certificate for mTLS [env HUGO_ORCHESTRATOR_TLS_CERT]'),
    )
    .addOption(new Option('--tls-key <path>', 'PEM client key for mTLS [env HUGO_ORCHESTRATOR_TLS_KEY]'))
    .addOption(
      new Option(
        '--tls-server-name <name>',
        'name checked against the server certificate [env HUGO_ORCHESTRATOR_TLS_SERVER_NAME]',
      ),
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'output format [env HUGO_ORCHESTRATOR_OUTPUT] (default "table")',
      ).choices(OUTPUT_FORMATS),
    )
    .addOption(
      new Option('--timeout <duration>', 'deadline of each call to the server, e.g. 10s (default 10s)'),
    );
}

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

/** Milliseconds of "10s", "1.5m", "500ms" or a plain number of milliseconds. */
export function parseDurationFlag(value: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) throw usageError(`${flag}: "${value}" is not a duration; use e.g. 500ms, 10s, 2m, 1h`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms'] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

function tlsFrom(
  flags: ClientFlags,
  env: Readonly<Record<string, string | undefined>>,
): ConnectionOptions['tls'] {
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

export function resolveClientSettings(
  flags: ClientFlags,
  env: Readonly<Record<string, string | undefined>>,
): ClientSettings {
  const output = flags.output ?? nonEmpty(env.HUGO_ORCHESTRATOR_OUTPUT) ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    throw usageError(`output format "${output}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  const address = flags.address ?? nonEmpty(env.HUGO_ORCHESTRATOR_ADDRESS) ?? DEFAULT_ADDRESS;
  if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(address)) {
    throw usageError(`address "${address}" is not host:port (e.g. 127.0.0.1:7233)`);
  }
  return {
    address,
    namespace: flags.namespace ?? nonEmpty(env.HUGO_ORCHESTRATOR_NAMESPACE) ?? DEFAULT_NAMESPACE,
    tls: tlsFrom(flags, env),
    output: output as OutputFormat,
    callTimeoutMs: flags.timeout === undefined ? 10_000 : parseDurationFlag(flags.timeout, '--timeout'),
  };
}
