// What the `namespace …` verbs do (their options are defined in namespace.ts).
import type { NamespaceDescription, NamespaceOptions } from '@odin/sdk';
import type { ClientFlags } from './client-options.js';
import type { CommandContext } from './context.js';
import { formatDurationMs, printJson, printJsonList, renderFields, renderTable } from './format.js';
import { optionalDuration, parsePairs } from './parse.js';

export interface NamespaceFlags extends ClientFlags {
  name?: string;
  description?: string;
  ownerEmail?: string;
  retention?: string;
  data?: string[];
}

function namespaceOptions(opts: NamespaceFlags): NamespaceOptions {
  const retention = optionalDuration(opts.retention, '--retention');
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

export async function create(
  { io, namespaces, settings }: CommandContext,
  opts: NamespaceFlags,
): Promise<void> {
  const name = opts.name as string;
  await namespaces.create(name, namespaceOptions(opts));
  if (settings.output === 'table') io.out(`Namespace ${name} created\n`);
  else printJson(io, { name, created: true }, settings.output);
}

export async function describe(
  { io, namespaces, settings }: CommandContext,
  opts: NamespaceFlags,
): Promise<void> {
  const ns = await namespaces.describe(opts.name ?? settings.namespace);
  if (settings.output === 'table') io.out(renderFields(fieldsOf(ns)));
  else printJson(io, ns, settings.output);
}

export async function list({ io, namespaces, settings }: CommandContext): Promise<void> {
  const all = await namespaces.list();
  if (settings.output !== 'table') printJsonList(io, all, settings.output);
  else
    io.out(
      renderTable(
        ['NAME', 'STATE', 'RETENTION', 'DESCRIPTION'],
        all.map((ns) => [ns.name, ns.state, formatDurationMs(ns.retentionMs), ns.description]),
      ),
    );
}

export async function update(
  { io, namespaces, settings }: CommandContext,
  opts: NamespaceFlags,
): Promise<void> {
  const ns = await namespaces.update(opts.name ?? settings.namespace, namespaceOptions(opts));
  if (settings.output === 'table') io.out(`Namespace ${ns.name} updated\n${renderFields(fieldsOf(ns))}`);
  else printJson(io, ns, settings.output);
}
