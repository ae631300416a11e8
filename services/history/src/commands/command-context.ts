import type { temporal as T } from '@temporalio/proto';
import type { Mutation } from '../state/history-builder.js';
import type { Loose } from '../util/proto.js';
import type { SearchAttributeCheck } from './search-attributes.js';

export { Cause, type CauseValue, CommandFailure } from './command-failure.js';

/** What a command handler sees: the transition and the WorkflowTaskCompleted event its events point back to. */
export interface CommandContext {
  readonly mut: Mutation;
  /** The run's namespace name (commands name their target's namespace, which must be this one). */
  readonly namespace: string;
  readonly completedEventId: number;
  readonly identity: string;
  /** Set by handlers whose effect needs another workflow task (a cancelled activity that never started). */
  needsWorkflowTask: boolean;
  /**
   * Set when this completion may start activities eagerly: the scheduled event ids of activities the worker asked to
   * run itself (`request_eager_execution`) instead of through matching.
   */
  readonly eagerActivities?: number[];
  /** The search attributes of this completion's commands, checked against the namespace's registry beforehand. */
  readonly searchAttributes: SearchAttributeCheck;
  /** The run's WorkflowExecutionStarted attributes, loaded when a command may start a retry run. */
  readonly started?: Loose<T.api.history.v1.IWorkflowExecutionStartedEventAttributes> | null;
  /**
   * Applies the completion's protocol message with this id where a PROTOCOL_MESSAGE command places it (an update's
   * Accepted or Completed event goes there); false when the completion carries no such message.
   */
  readonly protocolMessage?: (messageId: string) => boolean;
}
