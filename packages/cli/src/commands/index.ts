// The client verbs of `hugo-orchestrator` (namespace …, workflow …, schedule …), built on @odin/sdk's client.
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { registerNamespaceCommands } from './namespace.js';
import { registerScheduleCommands } from './schedule.js';
import { registerWorkflowCommands } from './workflow.js';

export { ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';

/** Adds `namespace`, `workflow` and `schedule` to the program (which carries the exit and output settings they inherit). */
export function registerClientCommands(program: Command, io: CliIo): void {
  registerNamespaceCommands(
    program.command('namespace').description('create, describe, list and update namespaces'),
    io,
  );
  registerWorkflowCommands(
    program
      .command('workflow')
      .description('start, signal, query, describe, list, show, cancel, terminate workflows; await results'),
    io,
  );
  registerScheduleCommands(
    program
      .command('schedule')
      .description('create, describe, list, pause, unpause, trigger, backfill and delete schedules'),
    io,
  );
}
