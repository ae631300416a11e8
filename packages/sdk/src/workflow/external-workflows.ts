import { type Int64Like, toNumber } from '@odin/api/public';
import { ApplicationFailure } from '../common/failure.js';
import type { Headers } from '../common/interceptors.js';
import type { PayloadConverter } from '../common/payload.js';
import type { CommandBuffer } from './command-buffer.js';
import { requestCancelExternalCommand, signalExternalCommand } from './command-builders.js';
import { type Deferred, deferred } from './deferred.js';
import { type EventEntries, recordedCommand } from './event-table.js';

type ExternalEvents =
  | 'signalExternalWorkflowExecutionInitiatedEventAttributes'
  | 'signalExternalWorkflowExecutionFailedEventAttributes'
  | 'externalWorkflowExecutionSignaledEventAttributes'
  | 'requestCancelExternalWorkflowExecutionInitiatedEventAttributes'
  | 'requestCancelExternalWorkflowExecutionFailedEventAttributes'
  | 'externalWorkflowExecutionCancelRequestedEventAttributes';

/**
 * Signals and cancel requests this run sends to other workflows (its children included): SignalExternal and
 * RequestCancelExternal commands, settled by the events that say whether they arrived.
 */
export class ExternalWorkflows {
  private seq = 0;
  private readonly pending = new Map<number, Deferred<void>>();
  private readonly seqByInitiatedEvent = new Map<number, number>();

  constructor(
    private readonly commands: CommandBuffer,
    private readonly converter: PayloadConverter,
    private readonly namespace: string,
  ) {}

  signal(
    workflowId: string,
    runId: string,
    signalName: string,
    args: unknown[],
    childWorkflowOnly = false,
    headers: Headers = {},
  ): Promise<void> {
    const seq = ++this.seq;
    const result = deferred<void>();
    const target = { namespace: this.namespace, workflowId, runId, control: String(seq), childWorkflowOnly };
    this.commands.issue(signalExternalCommand(this.converter, target, signalName, args, headers), (event) =>
      this.seqByInitiatedEvent.set(toNumber(event.eventId), seq),
    );
    this.pending.set(seq, result);
    return result.promise;
  }

  requestCancel(workflowId: string, runId: string, childWorkflowOnly = false): Promise<void> {
    const seq = ++this.seq;
    const result = deferred<void>();
    const target = { namespace: this.namespace, workflowId, runId, control: String(seq), childWorkflowOnly };
    this.commands.issue(requestCancelExternalCommand(target), (event) =>
      this.seqByInitiatedEvent.set(toNumber(event.eventId), seq),
    );
    this.pending.set(seq, result);
    return result.promise;
  }

  private settle(initiatedEventId: Int64Like, error?: unknown): void {
    const seq = this.seqByInitiatedEvent.get(toNumber(initiatedEventId));
    const result = seq === undefined ? undefined : this.pending.get(seq);
    if (!result || seq === undefined) return;
    this.pending.delete(seq);
    if (error) result.reject(error);
    else result.resolve();
  }

  eventEntries(): EventEntries<ExternalEvents> {
    return {
      signalExternalWorkflowExecutionInitiatedEventAttributes: recordedCommand,
      externalWorkflowExecutionSignaledEventAttributes: (a) => this.settle(a.initiatedEventId),
      signalExternalWorkflowExecutionFailedEventAttributes: (a) =>
        this.settle(
          a.initiatedEventId,
          new ApplicationFailure({
            message: 'Unable to signal external workflow: not found',
            type: 'ExternalWorkflowExecutionNotFound',
          }),
        ),
      requestCancelExternalWorkflowExecutionInitiatedEventAttributes: recordedCommand,
      externalWorkflowExecutionCancelRequestedEventAttributes: (a) => this.settle(a.initiatedEventId),
      requestCancelExternalWorkflowExecutionFailedEventAttributes: (a) =>
        this.settle(
          a.initiatedEventId,
          new ApplicationFailure({
            message: 'Unable to cancel external workflow: not found',
            type: 'ExternalWorkflowExecutionNotFound',
          }),
        ),
    };
  }
}
