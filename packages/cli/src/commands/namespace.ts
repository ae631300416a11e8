// `namespace …`: the command-line definitions; what each verb does is in namespace-actions.ts, loaded when it runs.
import { type Command, Option } from 'commander';
import { addClientOptions, collect } from './client-options.js';
import { clientAction } from './context.js';
import type { CliIo } from './io.js';
import type { NamespaceFlags } from './namespace-actions.js';

const actions = () => import('./namespace-actions.js');

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
}
