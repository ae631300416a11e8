// `schedule …`: the command-line definitions; what each verb does is in schedule-actions.ts, loaded when it runs.
// Flags follow Temporal's `temporal schedule` where that keeps its documented commands working: `-s,
// --schedule-id`, `--interval <every>[/<offset>]`, `--cron`, `--calendar <json>`, `--overlap-policy`.
import { type Command, Option } from 'commander';
import { addClientOptions, collect } from './client-options.js';
import { clientAction } from './context.js';
import type { CliIo } from './io.js';
import type { ScheduleFlags } from './schedule-actions.js';

const OVERLAP_POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'];

const actions = () => import('./schedule-actions.js');

function scheduleId(command: Command): Command {
  return addClientOptions(
    command.addOption(new Option('-s, --schedule-id <id>', 'schedule id').makeOptionMandatory()),
  );
}

function overlap(command: Command, what: string): Command {
  return command.addOption(new Option('--overlap-policy <policy>', what).choices(OVERLAP_POLICIES));
}

export function registerScheduleCommands(group: Command, io: CliIo): void {
  overlap(
    scheduleId(
      group
        .command('create')
        .description('create a schedule that starts a workflow at the times of its spec')
        .addOption(new Option('--type <name>', 'workflow type').makeOptionMandatory())
        .addOption(
          new Option(
            '-w, --workflow-id <id>',
            'workflow id (each run gets the scheduled time appended)',
          ).makeOptionMandatory(),
        )
        .addOption(new Option('-t, --task-queue <name>', 'task queue the workers poll').makeOptionMandatory())
        .addOption(
          new Option('-i, --input <json>', 'an argument as JSON (repeat for several arguments)').argParser(
            collect,
          ),
        )
        .option('--interval <every[/offset]>', 'e.g. 5m or 1h/15m (repeatable)', collect)
        .option('--cron <expression>', 'cron expression, e.g. "0 12 * * MON-FRI" (repeatable)', collect)
        .option(
          '--calendar <json>',
          'calendar as JSON, e.g. \'{"hour":9,"dayOfWeek":"MONDAY"}\' (repeatable)',
          collect,
        )
        .option('--start-time <rfc3339>', 'no action before this time')
        .option('--end-time <rfc3339>', 'no action after this time')
        .option('--jitter <duration>', 'each action runs up to this much later')
        .option('--time-zone <iana>', 'time zone of calendars and cron expressions (default UTC)')
        .option('--catchup-window <duration>', 'how late a missed action may still run (default 1 year)')
        .option('--pause-on-failure', 'pause the schedule when a started workflow fails')
        .option('--paused', 'create it paused')
        .option('--notes <text>', 'notes on the schedule state')
        .option('--remaining-actions <n>', 'take this many scheduled actions, then stop')
        .option('--memo <key=json>', 'memo field of the schedule (repeatable)', collect)
        .option('--search-attribute <key=json>', 'search attribute of the schedule (repeatable)', collect),
    ),
    'what to do when an action is due while the last one still runs (default SKIP)',
  ).action(
    clientAction<ScheduleFlags>(io, 'schedule create', async (ctx, opts) =>
      (await actions()).create(ctx, opts),
    ),
  );

  scheduleId(
    group.command('describe').description("show a schedule's spec, state and recent actions"),
  ).action(
    clientAction<ScheduleFlags>(io, 'schedule describe', async (ctx, opts) =>
      (await actions()).describe(ctx, opts),
    ),
  );

  addClientOptions(group.command('list').description('list the schedules of the namespace')).action(
    clientAction<ScheduleFlags>(io, 'schedule list', async (ctx) => (await actions()).list(ctx)),
  );

  scheduleId(
    group
      .command('pause')
      .description('stop taking scheduled actions')
      .option('--reason <text>', 'notes', ''),
  ).action(
    clientAction<ScheduleFlags>(io, 'schedule pause', async (ctx, opts) =>
      (await actions()).pause(ctx, opts),
    ),
  );

  scheduleId(
    group
      .command('unpause')
      .description('take scheduled actions again')
      .option('--reason <text>', 'notes', ''),
  ).action(
    clientAction<ScheduleFlags>(io, 'schedule unpause', async (ctx, opts) =>
      (await actions()).unpause(ctx, opts),
    ),
  );

  overlap(
    scheduleId(group.command('trigger').description('take the action now')),
    'overlap policy of this action (default ALLOW_ALL)',
  ).action(
    clientAction<ScheduleFlags>(io, 'schedule trigger', async (ctx, opts) =>
      (await actions()).trigger(ctx, opts),
    ),
  );

  overlap(
    scheduleId(
      group
        .command('backfill')
        .description('take the action for every time of the spec in a past range')
        .addOption(new Option('--start-time <rfc3339>', 'start of the range').makeOptionMandatory())
        .addOption(new Option('--end-time <rfc3339>', 'end of the range').makeOptionMandatory()),
    ),
    'overlap policy of these actions (default the schedule’s)',
  ).action(
    clientAction<ScheduleFlags>(io, 'schedule backfill', async (ctx, opts) =>
      (await actions()).backfill(ctx, opts),
    ),
  );

  scheduleId(group.command('delete').description('delete a schedule (its started workflows run on)')).action(
    clientAction<ScheduleFlags>(io, 'schedule delete', async (ctx, opts) =>
      (await actions()).remove(ctx, opts),
    ),
  );
}
