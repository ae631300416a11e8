// `namespace …`: the command-line definitions; what each verb does is in namespace-actions.ts, loaded when it runs.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addClientOptions, collect, OUTPUT_FORMATS } from './client-options.js';
import { clientAction } from './context.js';
import type { CliIo } from './io.js';
import type { NamespaceFlags } from './namespace-actions.js';
import type { RotateKeyFlags } from './namespace-rotate-key.js';

const actions = () => import('./namespace-actions.js');

function parseBatchSize(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError('must be a whole number between 1 and 10000.');
  return n;
}

function settingOptions(command: Command): Command {
  return command
    .option('--description <text>', 'what the namespace is for')
    .option('--owner-email <email>', 'who to contact about it')
    .option('--retention <duration>', 'how long closed workflows are kept, e.g. 72h, 3d, "30 days"')
    .option('--data <key=value>', 'custom data (repeatable)', collect);
}

export function registerNamespaceCommands(group: Command, io: CliIo): void {
  settingOptions(
    addClientOptions(
      group
        .command('create')
        .description('register a new namespace')
        .addOption(new Option('--name <name>', 'namespace to create').makeOptionMandatory()),
    ),
  ).action(
    clientAction<NamespaceFlags>(io, 'namespace create', async (ctx, opts) =>
      (await actions()).create(ctx, opts),
    ),
  );

  addClientOptions(
    group
      .command('describe')
      .description('show a namespace (the --name one, else --namespace)')
      .option('--name <name>', 'namespace to describe'),
  ).action(
    clientAction<NamespaceFlags>(io, 'namespace describe', async (ctx, opts) =>
      (await actions()).describe(ctx, opts),
    ),
  );

  addClientOptions(group.command('list').description('list every namespace')).action(
    clientAction<NamespaceFlags>(io, 'namespace list', async (ctx) => (await actions()).list(ctx)),
  );

  settingOptions(
    addClientOptions(
      group
        .command('update')
        .description('change a namespace (the --name one, else --namespace); only the options given change')
        .option('--name <name>', 'namespace to update'),
    ),
  ).action(
    clientAction<NamespaceFlags>(io, 'namespace update', async (ctx, opts) =>
      (await actions()).update(ctx, opts),
    ),
  );

  // A database command (like `db migrate`): it runs beside the servers, on the database and the key-encryption key.
  group
    .command('rotate-key')
    .description(
      'encryption at rest: add a new data-key version for the namespace (and re-wrap every data key under the ' +
        'current key-encryption key); with --reencrypt, rewrite the existing rows under it',
    )
    .addOption(new Option('--name <name>', 'namespace whose data key to rotate').makeOptionMandatory())
    .option('--reencrypt', "also rewrite the namespace's existing rows under the new version")
    .option('--db <url>', 'database URL instead of HUGO_ORCHESTRATOR_DB_CONNECTION')
    .addOption(
      new Option(
        '-o, --output <format>',
        'table, json or jsonl [env HUGO_ORCHESTRATOR_OUTPUT] (default "table")',
      ).choices(OUTPUT_FORMATS),
    )
    .addOption(
      new Option('--batch-size <rows>', 'rows read per page while re-encrypting (default 500)').argParser(
        parseBatchSize,
      ),
    )
    .action(async (opts: RotateKeyFlags) => (await import('./namespace-rotate-key.js')).rotateKey(io, opts));
}
