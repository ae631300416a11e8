// `workflow …`: the command-line definitions; what each verb does is in workflow-actions.ts, loaded when it runs.
// Flags follow Temporal's `temporal` CLI where that keeps the documented commands working: `--workflow-id` is
// another spelling of `--id`, `--name` of `--signal` / `--query`, arguments come from `--input` or `--input-file`.
import { type Command, Option } from 'commander';
import { addAlias, addClientOptions, type ClientFlags, collect } from './client-options.js';
import { clientAction } from './context.js';
import type { CliIo } from './io.js';
import type { ExecutionFlags, InputFlags, StartFlags } from './workflow-actions.js';

export const DEFAULT_TASK_QUEUE = 'default';
const REUSE_POLICIES = [
  'ALLOW_DUPLICATE',
  'ALLOW_DUPLICATE_FAILED_ONLY',
  'REJECT_DUPLICATE',
  'TERMINATE_IF_RUNNING',
];
const CONFLICT_POLICIES = ['FAIL', 'USE_EXISTING', 'TERMINATE_EXISTING'];

const actions = () => import('./workflow-actions.js');

/** `--id` (alias `--workflow-id`), required, and `--run-id`: the options of a command that addresses one workflow. */
function executionOptions(command: Command): Command {
  command
    .addOption(new Option('-w, --id <workflowId>', 'workflow id (alias --workflow-id)').makeOptionMandatory())
    .option('-r, --run-id <runId>', 'run id (default: the current run)');
  return addClientOptions(addAlias(command, 'id', '--workflow-id <workflowId>'));
}

function inputOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-i, --input <json>', 'an argument as JSON (repeat for several arguments)').argParser(
        collect,
      ),
    )
    .addOption(
      new Option(
        '--input-file <path>',
        'a file holding one argument as JSON (repeat for several; not with --input)',
      ).argParser(collect),
    );
}

export function registerWorkflowCommands(group: Command, io: CliIo): void {
  const start = group
    .command('start')
    .description('start a workflow and print its workflow id and run id')
    .addOption(new Option('--type <name>', 'workflow type').makeOptionMandatory())
    .option('-w, --id <workflowId>', 'workflow id (alias --workflow-id; default: a new UUID)')
    .addOption(
      new Option(
        '-t, --task-queue <name>',
        `task queue the workers poll [env HUGO_ORCHESTRATOR_TASK_QUEUE] (default "${DEFAULT_TASK_QUEUE}")`,
      ),
    );
  addAlias(start, 'id', '--workflow-id <workflowId>');
  addClientOptions(
    inputOptions(start)
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
    clientAction<StartFlags>(io, 'workflow start', async (ctx, opts) =>
      (await actions()).start(ctx, opts, DEFAULT_TASK_QUEUE),
    ),
  );

  const signal = group
    .command('signal')
    .description('send a signal to a workflow')
    .addOption(new Option('--signal <name>', 'signal name (alias --name)').makeOptionMandatory());
  executionOptions(inputOptions(addAlias(signal, 'signal', '--name <name>'))).action(
    clientAction<ExecutionFlags & InputFlags & { signal: string }>(io, 'workflow signal', async (ctx, opts) =>
      (await actions()).signal(ctx, opts),
    ),
  );

  const query = group
    .command('query')
    .description("ask a workflow's query handler and print the answer")
    .addOption(new Option('--query <name>', 'query name (alias --name)').makeOptionMandatory());
  executionOptions(inputOptions(addAlias(query, 'query', '--name <name>'))).action(
    clientAction<ExecutionFlags & InputFlags & { query: string }>(io, 'query', async (ctx, opts) =>
      (await actions()).query(ctx, opts),
    ),
  );

  executionOptions(group.command('describe').description("show a workflow's status and details")).action(
    clientAction<ExecutionFlags>(io, 'workflow describe', async (ctx, opts) =>
      (await actions()).describe(ctx, opts),
    ),
  );

  addClientOptions(
    group
      .command('list')
      .description('list workflows, newest first')
      .option('-q, --query <visibility-query>', `filter, e.g. "WorkflowType = 'OrderProcessing'"`)
      .option('--limit <n>', 'at most this many (default 100)'),
  ).action(
    clientAction<ClientFlags & { query?: string; limit?: string }>(io, 'workflow list', async (ctx, opts) =>
      (await actions()).list(ctx, opts),
    ),
  );

  executionOptions(group.command('show').description("print a workflow's event history")).action(
    clientAction<ExecutionFlags>(io, 'workflow show', async (ctx, opts) => (await actions()).show(ctx, opts)),
  );

  executionOptions(
    group
      .command('cancel')
      .description('ask a workflow to cancel (its code decides how)')
      .option('--reason <text>', 'recorded with the request', ''),
  ).action(
    clientAction<ExecutionFlags & { reason: string }>(io, 'workflow cancel', async (ctx, opts) =>
      (await actions()).cancel(ctx, opts),
    ),
  );

  executionOptions(
    group
      .command('terminate')
      .description('end a workflow at once, without running its code')
      .option('--reason <text>', 'recorded in the history', ''),
  ).action(
    clientAction<ExecutionFlags & { reason: string }>(io, 'workflow terminate', async (ctx, opts) =>
      (await actions()).terminate(ctx, opts),
    ),
  );

  executionOptions(
    group
      .command('result')
      .description('wait for a workflow to close and print its result (exit 1 if it did not complete)'),
  ).action(
    clientAction<ExecutionFlags>(io, 'workflow result', async (ctx, opts) =>
      (await actions()).result(ctx, opts),
    ),
  );
}
