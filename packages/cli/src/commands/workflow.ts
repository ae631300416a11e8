import { randomUUID } from 'node:crypto';
import { temporal, timestampToMs, toNumber } from '@odin/api';
import type {
  IHistoryEvent,
  WorkflowExecutionDescription,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowStartOptions,
} from '@odin/sdk';
import { type Command, Option } from 'commander';
import { addClientOptions, type ClientFlags } from './client-options.js';
import { clientAction } from './context.js';
import { formatTime, printJson, printValue, renderFields, renderTable } from './format.js';
import type { CliIo } from './io.js';
import { collect, parseDuration, parseJsonArgs, parseLimit, parsePairs } from './parse.js';

export const DEFAULT_TASK_QUEUE = 'default';
const REUSE_POLICIES = [
  'ALLOW_DUPLICATE',
  'ALLOW_DUPLICATE_FAILED_ONLY',
  'REJECT_DUPLICATE',
  'TERMINATE_IF_RUNNING',
];
const CONFLICT_POLICIES = ['FAIL', 'USE_EXISTING', 'TERMINATE_EXISTING'];

interface ExecutionFlags extends ClientFlags {
  id: string;
  runId?: string;
}

interface StartFlags extends ClientFlags {
  type: string;
  id?: string;
  taskQueue?: string;
  input?: string[];
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

function executionOptions(command: Command): Command {
  return addClientOptions(
    command
      .addOption(new Option('-w, --id <workflowId>', 'workflow id').makeOptionMandatory())
      .option('-r, --run-id <runId>', 'run id (default: the current run)'),
  );
}

const inputOption = () =>
  new Option('-i, --input <json>', 'an argument as JSON (repeat for several arguments)').argParser(collect);

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

function eventJson(event: IHistoryEvent): unknown {
  const type = temporal.api.history.v1.HistoryEvent;
  return type.toObject(event as Parameters<typeof type.toObject>[0], {
    longs: String,
    enums: String,
    bytes: String,
  });
}

export function registerWorkflowCommands(group: Command, io: CliIo): void {
  addClientOptions(
    group
      .command('start')
      .description('start a workflow and print its workflow id and run id')
      .addOption(new Option('--type <name>', 'workflow type').makeOptionMandatory())
      .option('-w, --id <workflowId>', 'workflow id (default: a new UUID)')
      .addOption(
        new Option(
          '-t, --task-queue <name>',
          `task queue the workers poll [env HUGO_ORCHESTRATOR_TASK_QUEUE] (default "${DEFAULT_TASK_QUEUE}")`,
        ),
      )
      .addOption(inputOption())
      .option(
        '--execution-timeout <duration>',
        'limit on the whole execution, retries and continue-as-new included',
      )
      .option('--run-timeout <duration>', 'limit on a single run')
      .option('--task-timeout <duration>', 'limit on a single workflow task (default 10s)')
      .addOption(
        new Option('--id-reuse-policy <policy>', 'when a closed workflow has this id').choices(
          REUSE_POLICIES,
        ),
      )
      .addOption(
        new Option('--id-conflict-policy <policy>', 'when a running workflow has this id').choices(
          CONFLICT_POLICIES,
        ),
      )
      .option('--memo <key=json>', 'memo field (repeatable)', collect)
      .option('--search-attribute <key=json>', 'search attribute (repeatable)', collect)
      .option('--cron <schedule>', 'cron schedule, e.g. "*/5 * * * *"')
      .option('--start-delay <duration>', 'wait this long before the first workflow task'),
  ).action(
    clientAction<StartFlags>(io, 'workflow start', async ({ workflows, settings }, opts) => {
      const taskQueue = opts.taskQueue ?? io.env.HUGO_ORCHESTRATOR_TASK_QUEUE?.trim() ?? DEFAULT_TASK_QUEUE;
      const workflowId = opts.id ?? randomUUID();
      const memo = parsePairs(opts.memo, '--memo', true);
      const searchAttributes = parsePairs(opts.searchAttribute, '--search-attribute', true);
      const executionTimeout = parseDuration(opts.executionTimeout, '--execution-timeout');
      const runTimeout = parseDuration(opts.runTimeout, '--run-timeout');
      const taskTimeout = parseDuration(opts.taskTimeout, '--task-timeout');
      const startDelay = parseDuration(opts.startDelay, '--start-delay');
      const options: WorkflowStartOptions = {
        workflowId,
        taskQueue: taskQueue === '' ? DEFAULT_TASK_QUEUE : taskQueue,
        args: parseJsonArgs(opts.input, '--input'),
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
      if (settings.output === 'json') printJson(io, started);
      else
        io.out(
          `Started workflow ${opts.type}\n${renderFields([
            ['Workflow ID', started.workflowId],
            ['Run ID', started.runId],
            ['Namespace', started.namespace],
            ['Task queue', started.taskQueue],
          ])}`,
        );
    }),
  );

  executionOptions(
    group
      .command('signal')
      .description('send a signal to a workflow')
      .addOption(new Option('--signal <name>', 'signal name').makeOptionMandatory())
      .addOption(inputOption()),
  ).action(
    clientAction<ExecutionFlags & { signal: string; input?: string[] }>(
      io,
      'workflow signal',
      async ({ workflows, settings }, opts) => {
        await workflows.signal(opts.id, opts.runId, opts.signal, parseJsonArgs(opts.input, '--input'));
        if (settings.output === 'json')
          printJson(io, { workflowId: opts.id, signal: opts.signal, sent: true });
        else io.out(`Signal ${opts.signal} sent to workflow ${opts.id}\n`);
      },
    ),
  );

  executionOptions(
    group
      .command('query')
      .description("ask a workflow's query handler and print the answer")
      .addOption(new Option('--query <name>', 'query name').makeOptionMandatory())
      .addOption(inputOption()),
  ).action(
    clientAction<ExecutionFlags & { query: string; input?: string[] }>(
      io,
      'query',
      async ({ workflows, settings }, opts) => {
        const answer = await workflows.query(
          opts.id,
          opts.runId,
          opts.query,
          parseJsonArgs(opts.input, '--input'),
        );
        printValue(io, settings.output, answer);
      },
    ),
  );

  executionOptions(group.command('describe').description("show a workflow's status and details")).action(
    clientAction<ExecutionFlags>(io, 'workflow describe', async ({ workflows, settings }, opts) => {
      const description = await workflows.describe(opts.id, opts.runId);
      if (settings.output === 'json') printJson(io, description);
      else io.out(renderFields(descriptionFields(description)));
    }),
  );

  addClientOptions(
    group
      .command('list')
      .description('list workflows, newest first')
      .option('-q, --query <visibility-query>', `filter, e.g. "WorkflowType = 'OrderProcessing'"`)
      .option('--limit <n>', 'at most this many (default 100)'),
  ).action(
    clientAction<ClientFlags & { query?: string; limit?: string }>(
      io,
      'workflow list',
      async ({ workflows, settings }, opts) => {
        const limit = parseLimit(opts.limit, '--limit', 100);
        const found: WorkflowExecutionDescription[] = [];
        for await (const execution of workflows.list(opts.query ?? '', { pageSize: Math.min(limit, 100) })) {
          found.push(execution);
          if (found.length >= limit) break;
        }
        if (settings.output === 'json') printJson(io, found);
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
      },
    ),
  );

  executionOptions(group.command('show').description("print a workflow's event history")).action(
    clientAction<ExecutionFlags>(io, 'workflow show', async ({ workflows, settings }, opts) => {
      const events = await workflows.fetchHistory(opts.id, opts.runId);
      if (settings.output === 'json') printJson(io, { events: events.map(eventJson) });
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
    }),
  );

  executionOptions(
    group
      .command('cancel')
      .description('ask a workflow to cancel (its code decides how)')
      .option('--reason <text>', 'recorded with the request', ''),
  ).action(
    clientAction<ExecutionFlags & { reason: string }>(
      io,
      'workflow cancel',
      async ({ workflows, settings }, opts) => {
        await workflows.cancel(opts.id, opts.runId, opts.reason);
        if (settings.output === 'json') printJson(io, { workflowId: opts.id, cancelRequested: true });
        else io.out(`Cancellation requested for workflow ${opts.id}\n`);
      },
    ),
  );

  executionOptions(
    group
      .command('terminate')
      .description('end a workflow at once, without running its code')
      .option('--reason <text>', 'recorded in the history', ''),
  ).action(
    clientAction<ExecutionFlags & { reason: string }>(
      io,
      'workflow terminate',
      async ({ workflows, settings }, opts) => {
        await workflows.terminate(opts.id, opts.runId, opts.reason);
        if (settings.output === 'json') printJson(io, { workflowId: opts.id, terminated: true });
        else io.out(`Workflow ${opts.id} terminated\n`);
      },
    ),
  );

  executionOptions(
    group
      .command('result')
      .description('wait for a workflow to close and print its result (exit 1 if it did not complete)'),
  ).action(
    clientAction<ExecutionFlags>(io, 'workflow result', async ({ workflows, settings }, opts) => {
      printValue(io, settings.output, await workflows.result(opts.id, opts.runId));
    }),
  );
}
