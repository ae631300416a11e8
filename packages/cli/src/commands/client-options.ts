import { type Command, Option } from 'commander';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl'] as const;
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
  apiKey?: string;
  output?: string;
  timeout?: string;
}

/**
 * Flags win over environment variables, which win over defaults; the environment is read when the command runs
 * (settings.ts), not by commander. Temporal's own variables (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE) come after ours,
 * so a shell set up for the `temporal` CLI works here too.
 */
export function addClientOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--address <host:port>',
        `frontend address [env HUGO_ORCHESTRATOR_ADDRESS, TEMPORAL_ADDRESS] (default ${DEFAULT_ADDRESS})`,
      ),
    )
    .addOption(
      new Option(
        '-n, --namespace <name>',
        `namespace [env HUGO_ORCHESTRATOR_NAMESPACE, TEMPORAL_NAMESPACE] (default "${DEFAULT_NAMESPACE}")`,
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
        '--api-key <token>',
        'bearer token sent as "authorization: Bearer <token>" [env HUGO_ORCHESTRATOR_API_KEY, TEMPORAL_API_KEY]',
      ),
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        'table, json, or jsonl (one JSON value per line) [env HUGO_ORCHESTRATOR_OUTPUT] (default "table")',
      ).choices(OUTPUT_FORMATS),
    )
    .addOption(
      new Option('--timeout <duration>', 'deadline of each call to the server, e.g. 10s, 2m (default 10s)'),
    );
}

/**
 * Adds `flags` as another spelling of the option whose attribute is `target` (e.g. `--workflow-id` for `--id`):
 * hidden from the help, which names it in the option's description; a value given either way lands on `target`,
 * so a mandatory `target` is satisfied by the alias too.
 */
export function addAlias(command: Command, target: string, flags: string): Command {
  const alias = new Option(flags).hideHelp();
  command.addOption(alias);
  command.on(`option:${alias.name()}`, (value: string) =>
    command.setOptionValueWithSource(target, value, 'cli'),
  );
  return command;
}

/** Commander accumulator for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
