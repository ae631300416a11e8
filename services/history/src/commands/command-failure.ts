import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';

export const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
export type CauseValue = T.api.enums.v1.WorkflowTaskFailedCause;

/** A command the server refuses: the whole completion is discarded and the workflow task fails with `cause`. */
export class CommandFailure extends Error {
  constructor(
    readonly failedCause: CauseValue,
    message: string,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}
