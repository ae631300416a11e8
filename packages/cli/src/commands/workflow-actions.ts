// What the `workflow …` verbs do (their options are defined in workflow.ts).
import { randomUUID } from 'node:crypto';
import { temporal, timestampToMs, toNumber } from '@odin/api';
import type {
  IHistoryEvent,
  WorkflowExecutionDescription,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowStartOptions,
} from '@odin/sdk';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { ClientFlags, OutputFormat } from './client-options.js';
import type { CommandContext } from './context.js';
import type { CliIo } from './io.js';
import { formatTime, printJson, printJsonList, printValue, renderFields, renderTable } from './format.js';
import { optionalDuration, parseInputs, parseLimit, parsePairs } from './parse.js';

export interface ExecutionFlags extends ClientFlags {
  id: string;
  runId?: string;
}

export interface InputFlags {
  input?: string[];
  inputFile?: string[];
}

export interface StartFlags extends ClientFlags, InputFlags {
  type: string;
  id?: string;
  taskQueue?: string;
  executionTimeout?: string;
  runTimeout?: string;
  taskTimeout?: string;
  idReusePolicy?: WorkflowIdReusePolicy;
  idConflictPolicy?: WorkflowIdConflictPolicy;
  memo?: string[];
  searchAttribute?: string[];
  cron?: string;
  startDelay?: string;
}

function descriptionFields(d: WorkflowExecutionDescription): [string, unknown][] {
  return [
    ['Workflow ID', d.workflowId],
    ['Run ID', d.runId],
    ['Type', d.type],
    ['Status', d.status],
    ['Task queue', d.taskQueue],
    ['Start time', formatTime(d.startTime)],
    ['Close time', formatTime(d.closeTime)],
    ['History length', d.historyLength],
    ...(d.parent ? [['Parent', `${d.parent.workflowId} (${d.parent.runId})`] as [string, unknown]] : []),
    ...(Object.keys(d.memo).length ? [['Memo', d.memo] as [string, unknown]] : []),
    ...(Object.keys(d.searchAttributes).length
      ? [['Search attributes', d.searchAttributes] as [string, unknown]]
      : []),
  ];
}

/** EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> WorkflowExecutionStarted. */
function eventTypeName(value: number | null | undefined): string {
  const raw = temporal.api.enums.v1.EventType[value ?? 0] ?? `EVENT_TYPE_${value}`;
  return raw
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

/**
 * A history in Temporal's JSON history format (proto3 JSON: RFC 3339 times, enum names, int64 as strings, bytes
 * in base64), written by the official SDK's own converter so that `historyFromJSON` and the official replayer read
 * it back exactly.
 */
function printHistory(
  io: CliIo,
  events: readonly IHistoryEvent[],
  output: Exclude<OutputFormat, 'table'>,
): void {
  const json = historyToJSON({ events: [...events] } as Parameters<typeof historyToJSON>[0]);
  if (output === 'json') io.out(`${json}\n`);
  else printJsonList(io, (JSON.parse(json) as { events: unknown[] }).events, output);
}

export async function start(
  { io, workflows, settings }: CommandContext,
  opts: StartFlags,
  defaultTaskQueue: string,
): Promise<void> {
  const taskQueue = opts.taskQueue ?? io.env.HUGO_ORCHESTRATOR_TASK_QUEUE?.trim() ?? defaultTaskQueue;
  const workflowId = opts.id ?? randomUUID();
  const memo = parsePairs(opts.memo, '--memo', true);
  const searchAttributes = parsePairs(opts.searchAttribute, '--search-attribute', true);
  const executionTimeout = optionalDuration(opts.executionTimeout, '--execution-timeout');
  const runTimeout = optionalDuration(opts.runTimeout, '--run-timeout');
  const taskTimeout = optionalDuration(opts.taskTimeout, '--task-timeout');
  const startDelay = optionalDuration(opts.startDelay, '--start-delay');
  const options: WorkflowStartOptions = {
    workflowId,
    taskQueue: taskQueue === '' ? defaultTaskQueue : taskQueue,
    args: parseInputs(opts),
    ...(opts.idReusePolicy ? { workflowIdReusePolicy: opts.idReusePolicy } : {}),
    ...(opts.idConflictPolicy ? { workflowIdConflictPolicy: opts.idConflictPolicy } : {}),
    ...(Object.keys(memo).length ? { memo } : {}),
    ...(Object.keys(searchAttributes).length ? { searchAttributes } : {}),
    ...(executionTimeout ? { workflowExecutionTimeout: executionTimeout } : {}),
    ...(runTimeout ? { workflowRunTimeout: runTimeout } : {}),
    ...(taskTimeout ? { workflowTaskTimeout: taskTimeout } : {}),
    ...(opts.cron ? { cronSchedule: opts.cron } : {}),
    ...(startDelay ? { startDelay } : {}),
  };
  const handle = await workflows.start(opts.type, options);
  const started = {
    workflowId,
    runId: handle.runId ?? '',
    type: opts.type,
    namespace: settings.namespace,
    taskQueue: options.taskQueue,
  };
  if (settings.output !== 'table') printJson(io, started, settings.output);
  else
    io.out(
      `Started workflow ${opts.type}\n${renderFields([
        ['Workflow ID', started.workflowId],
        ['Run ID', started.runId],
        ['Namespace', started.namespace],
        ['Task queue', started.taskQueue],
      ])}`,
    );
}

export async function signal(
  { io, workflows, settings }: CommandContext,
  opts: ExecutionFlags & InputFlags & { signal: string },
): Promise<void> {
  await workflows.signal(opts.id, opts.runId, opts.signal, parseInputs(opts));
  if (settings.output !== 'table')
    printJson(io, { workflowId: opts.id, signal: opts.signal, sent: true }, settings.output);
  else io.out(`Signal ${opts.signal} sent to workflow ${opts.id}\n`);
}

export async function query(
  { io, workflows, settings }: CommandContext,
  opts: ExecutionFlags & InputFlags & { query: string },
): Promise<void> {
  const answer = await workflows.query(opts.id, opts.runId, opts.query, parseInputs(opts));
  printValue(io, settings.output, answer);
}

export async function describe(
  { io, workflows, settings }: CommandContext,
  opts: ExecutionFlags,
): Promise<void> {
  const description = await workflows.describe(opts.id, opts.runId);
  if (settings.output !== 'table') printJson(io, description, settings.output);
  else io.out(renderFields(descriptionFields(description)));
}

export async function list(
  { io, workflows, settings }: CommandContext,
  opts: { query?: string; limit?: string },
): Promise<void> {
  const limit = parseLimit(opts.limit, '--limit', 100);
  const found: WorkflowExecutionDescription[] = [];
  for await (const execution of workflows.list(opts.query ?? '', { pageSize: Math.min(limit, 100) })) {
    found.push(execution);
    if (found.length >= limit) break;
  }
  if (settings.output !== 'table') printJsonList(io, found, settings.output);
  else
    io.out(
      renderTable(
        ['WORKFLOW ID', 'RUN ID', 'TYPE', 'STATUS', 'START TIME', 'CLOSE TIME'],
        found.map((d) => [
          d.workflowId,
          d.runId,
          d.type,
          d.status,
          formatTime(d.startTime),
          formatTime(d.closeTime),
        ]),
      ),
    );
}

export async function show({ io, workflows, settings }: CommandContext, opts: ExecutionFlags): Promise<void> {
  const events = await workflows.fetchHistory(opts.id, opts.runId);
  if (settings.output !== 'table') printHistory(io, events, settings.output);
  else
    io.out(
      renderTable(
        ['ID', 'TIME', 'TYPE'],
        events.map((e) => [
          String(toNumber(e.eventId)),
          formatTime(timestampToMs(e.eventTime)),
          eventTypeName(e.eventType),
        ]),
      ),
    );
}

export async function cancel(
  { io, workflows, settings }: CommandContext,
  opts: ExecutionFlags & { reason: string },
): Promise<void> {
  await workflows.cancel(opts.id, opts.runId, opts.reason);
  if (settings.output !== 'table')
    printJson(io, { workflowId: opts.id, cancelRequested: true }, settings.output);
  else io.out(`Cancellation requested for workflow ${opts.id}\n`);
}

export async function terminate(
  { io, workflows, settings }: CommandContext,
  opts: ExecutionFlags & { reason: string },
): Promise<void> {
  await workflows.terminate(opts.id, opts.runId, opts.reason);
  if (settings.output !== 'table') printJson(io, { workflowId: opts.id, terminated: true }, settings.output);
  else io.out(`Workflow ${opts.id} terminated\n`);
}

export async function result(
  { io, workflows, settings }: CommandContext,
  opts: ExecutionFlags,
): Promise<void> {
  printValue(io, settings.output, await workflows.result(opts.id, opts.runId));
}
