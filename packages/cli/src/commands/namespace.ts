import type { NamespaceDescription, NamespaceOptions } from '@odin/sdk';
import { type Command, Option } from 'commander';
import { addClientOptions, type ClientFlags } from './client-options.js';
import { clientAction } from './context.js';
import { formatDurationMs, printJson, renderFields, renderTable } from './format.js';
import type { CliIo } from './io.js';
import { collect, parseDuration, parsePairs } from './parse.js';

interface NamespaceFlags extends ClientFlags {
  name?: string;
  description?: string;
  ownerEmail?: string;
  retention?: string;
  data?: string[];
}

function namespaceOptions(opts: NamespaceFlags): NamespaceOptions {
  const retention = parseDuration(opts.retention, '--retention');
  const data = parsePairs(opts.data, '--data', false) as Record<string, string>;
  return {
    ...(opts.description === undefined ? {} : { description: opts.description }),
    ...(opts.ownerEmail === undefined ? {} : { ownerEmail: opts.ownerEmail }),
    ...(retention === undefined ? {} : { retention }),
    ...(Object.keys(data).length === 0 ? {} : { data }),
  };
}

function fieldsOf(ns: NamespaceDescription): [string, unknown][] {
  return [
    ['Name', ns.name],
    ['Id', ns.id],
    ['State', ns.state],
    ['Retention', formatDurationMs(ns.retentionMs)],
    ['Description', ns.description],
    ['Owner email', ns.ownerEmail],
    ...Object.entries(ns.data).map(([k, v]): [string, unknown] => [`Data ${k}`, v]),
  ];
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
    clientAction<NamespaceFlags>(io, 'namespace create', async ({ namespaces, settings }, opts) => {
      const name = opts.name as string;
      await namespaces.create(name, namespaceOptions(opts));
      if (settings.output === 'json') printJson(io, { name, created: true });
      else io.out(`Namespace ${name} created\n`);
    }),
  );

  addClientOptions(
    group
      .command('describe')
      .description('show a namespace (the --name one, else --namespace)')
      .option('--name <name>', 'namespace to describe'),
  ).action(
    clientAction<NamespaceFlags>(io, 'namespace describe', async ({ namespaces, settings }, opts) => {
      const ns = await namespaces.describe(opts.name ?? settings.namespace);
      if (settings.output === 'json') printJson(io, ns);
      else io.out(renderFields(fieldsOf(ns)));
    }),
  );

  addClientOptions(group.command('list').description('list every namespace')).action(
    clientAction<NamespaceFlags>(io, 'namespace list', async ({ namespaces, settings }) => {
      const all = await namespaces.list();
      if (settings.output === 'json') printJson(io, all);
      else
        io.out(
          renderTable(
            ['NAME', 'STATE', 'RETENTION', 'DESCRIPTION'],
            all.map((ns) => [ns.name, ns.state, formatDurationMs(ns.retentionMs), ns.description]),
          ),
        );
    }),
  );

  settingOptions(
    addClientOptions(
      group
        .command('update')
        .description('change a namespace (the --name one, else --namespace); only the options given change')
        .option('--name <name>', 'namespace to update'),
    ),
  ).action(
    clientAction<NamespaceFlags>(io, 'namespace update', async ({ namespaces, settings }, opts) => {
      const ns = await namespaces.update(opts.name ?? settings.namespace, namespaceOptions(opts));
      if (settings.output === 'json') printJson(io, ns);
      else io.out(`Namespace ${ns.name} updated\n${renderFields(fieldsOf(ns))}`);
    }),
  );
}
