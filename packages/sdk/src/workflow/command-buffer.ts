import type { ICommand, IHistoryEvent } from '../common/proto-types.js';
import { TERMINAL_COMMANDS } from './command-matching.js';
import { IllegalStateError } from './errors.js';

export interface PendingCommand {
  readonly command: ICommand;
  /** Called with the history event this command produced, when a replay matched it. */
  readonly onMatched?: (event: IHistoryEvent) => void;
}

/**
 * The commands one activation of a run issues, in order. A command that ends the run (complete, fail, cancel,
 * continue-as-new) closes the buffer: later commands are dropped.
 */
export class CommandBuffer {
  private commands: PendingCommand[] = [];
  private closed = false;

  /** `inWorkflowCode` tells whether workflow code is running: commands come from nowhere else. */
  constructor(private readonly inWorkflowCode: () => boolean) {}

  /** True once a command ended the run. */
  get completed(): boolean {
    return this.closed;
  }

  get length(): number {
    return this.commands.length;
  }

  /** Issues `command`; returns what to hand `unsend` if it should be withdrawn. */
  issue(command: ICommand, onMatched?: (event: IHistoryEvent) => void): PendingCommand {
    const pending: PendingCommand = onMatched ? { command, onMatched } : { command };
    if (this.closed) return pending;
    if (!this.inWorkflowCode()) {
      throw new IllegalStateError('Workflow commands may only be issued from workflow code');
    }
    this.commands.push(pending);
    if (TERMINAL_COMMANDS.has(command.commandType ?? 0)) this.closed = true;
    return pending;
  }

  /** Drops a command issued in this activation that was not sent yet; false when it is already in history. */
  unsend(pending: PendingCommand): boolean {
    const index = this.commands.indexOf(pending);
    if (index < 0) return false;
    this.commands.splice(index, 1);
    return true;
  }

  /** Drops every command issued after the first `length` (a query handler that issued some). */
  truncate(length: number): void {
    this.commands.length = length;
  }

  /** The commands of the activation just run; the list starts empty for the next one. */
  take(): PendingCommand[] {
    const taken = this.commands;
    this.commands = [];
    return taken;
  }
}
