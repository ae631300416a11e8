import type { ICommand, IHistoryEvent } from '../common/proto-types.js';
import { describeCommand, describeEvent } from './command-matching.js';

/**
 * The workflow code did not produce the commands its history recorded: replaying it would diverge.
 * Carries the first event that did not match and the command produced in its place (either may be absent).
 */
export class DeterminismViolationError extends Error {
  constructor(
    message: string,
    readonly event?: IHistoryEvent,
    readonly command?: ICommand,
  ) {
    super(
      `${message}${event ? `; history event: ${describeEvent(event)}` : ''}${
        command ? `; workflow command: ${describeCommand(command)}` : ''
      }`,
    );
    this.name = 'DeterminismViolationError';
  }
}

/** Thrown by `continueAsNew`; the runtime turns it into a ContinueAsNewWorkflowExecution command. */
export class ContinueAsNew extends Error {
  constructor(readonly command: ICommand) {
    super('Workflow continued as new');
    this.name = 'ContinueAsNew';
  }
}

/** A workflow API was called outside a workflow, or a forbidden operation was attempted inside one. */
export class IllegalStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalStateError';
  }
}

/**
 * A history event the runtime has no handler for: a feature this SDK does not implement (updates, Nexus), or an
 * event type newer than its API definitions. The workflow task fails rather than skip what the event meant.
 */
export class UnhandledEventError extends Error {
  constructor(
    reason: string,
    readonly event: IHistoryEvent,
  ) {
    super(`Cannot apply history event ${describeEvent(event)}: ${reason}`);
    this.name = 'UnhandledEventError';
  }
}

/**
 * A local activity failed and retries after a backoff longer than its local-retry threshold: the workflow waits
 * on a durable timer, then schedules it again as attempt `attempt` (what Temporal's SDKs do, so histories match).
 */
export class LocalActivityDoBackoff extends Error {
  constructor(
    readonly attempt: number,
    readonly backoffMs: number,
    readonly originalScheduleTime: number | undefined,
  ) {
    super(`Local activity backs off ${backoffMs}ms before attempt ${attempt}`);
    this.name = 'LocalActivityDoBackoff';
  }
}
