import { temporal } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import { failureToError } from '../common/failure.js';
import { firstValue, type PayloadConverter, toPayloads } from '../common/payload.js';
import type { ICommand } from '../common/proto-types.js';
import type { WorkflowTaskOutcome } from '../workflow/task-runner.js';
import type { OutgoingUpdateMessage, UpdateRequest } from '../workflow/updates.js';

const EventType = temporal.api.enums.v1.EventType;

export type SimulatedUpdateState = 'requested' | 'accepted' | 'rejected' | 'completed';

/** An update sent to a simulated workflow; its state moves as `run()` runs workflow tasks. */
export interface SimulatedUpdate<T = unknown> {
  readonly updateId: string;
  readonly state: SimulatedUpdateState;
  /** The handler's value; throws the failure when the update was rejected or failed, or is not complete yet. */
  result(): T;
}

interface UpdateRecord {
  state: SimulatedUpdateState;
  outcome?: proto.api.update.v1.IOutcome;
  acceptedEventId?: number;
}

type Append = (eventType: number, attributes: Record<string, unknown>) => number;

/**
 * The server's part of the update protocol for WorkflowSimulator: requests go to the next workflow task as
 * messages; acceptances and responses placed by PROTOCOL_MESSAGE commands become UpdateAccepted / UpdateCompleted
 * events; rejections write nothing (and a task that only rejected is dropped, as the server drops it).
 */
export class SimulatedUpdates {
  private queued: { updateId: string; name: string; args: unknown[] }[] = [];
  private readonly records = new Map<string, UpdateRecord>();
  private seq = 0;

  constructor(private readonly converter: PayloadConverter) {}

  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  request<T>(name: string, args: unknown[], updateId = `update-${++this.seq}`): SimulatedUpdate<T> {
    const record: UpdateRecord = { state: 'requested' };
    this.records.set(updateId, record);
    this.queued.push({ updateId, name, args });
    const converter = this.converter;
    return {
      updateId,
      get state() {
        return record.state;
      },
      result(): T {
        if (!record.outcome) throw new Error(`Update ${updateId} has no outcome yet (state ${record.state})`);
        if (record.outcome.failure) throw failureToError(record.outcome.failure, converter);
        return firstValue<T>(converter, record.outcome.success);
      },
    };
  }

  /** The queued requests, as the messages of a task whose WorkflowTaskStarted is `startedEventId`. */
  takeRequests(startedEventId: number): UpdateRequest[] {
    const taken = this.queued;
    this.queued = [];
    return taken.map(({ updateId, name, args }) => {
      const request = {
        meta: { updateId, identity: 'simulator' },
        input: { name, args: toPayloads(this.converter, args) ?? null },
      };
      return {
        updateId,
        name,
        args: request.input.args,
        headers: {},
        message: { id: `${updateId}/request`, sequencingEventId: startedEventId - 1, request },
      };
    });
  }

  /** True when the task did nothing but reject updates: the server leaves no trace of such a task. */
  onlyRejected(outcome: WorkflowTaskOutcome): boolean {
    return (
      outcome.commands.length === 0 &&
      outcome.messages.length > 0 &&
      outcome.messages.every((m) => m.kind === 'rejection')
    );
  }

  /** Records the task's rejections (they have no command). */
  applyRejections(messages: readonly OutgoingUpdateMessage[]): void {
    for (const message of messages) {
      if (message.kind !== 'rejection') continue;
      const record = this.records.get(message.updateId);
      if (!record) continue;
      record.state = 'rejected';
      record.outcome = { failure: message.body.failure ?? null };
    }
  }

  /** Writes the event of a PROTOCOL_MESSAGE command (the message it names). */
  applyCommand(command: ICommand, messages: readonly OutgoingUpdateMessage[], append: Append): void {
    const message = messages.find((m) => m.id === command.protocolMessageCommandAttributes?.messageId);
    if (!message) throw new Error('A PROTOCOL_MESSAGE command names no message of its task');
    const record = this.records.get(message.updateId) ?? { state: 'requested' };
    this.records.set(message.updateId, record);
    if (message.kind === 'acceptance') {
      record.state = 'accepted';
      record.acceptedEventId = append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
        workflowExecutionUpdateAcceptedEventAttributes: {
          protocolInstanceId: message.updateId,
          acceptedRequestMessageId: message.body.acceptedRequestMessageId,
          acceptedRequestSequencingEventId: message.body.acceptedRequestSequencingEventId,
          acceptedRequest: message.body.acceptedRequest,
        },
      });
    } else if (message.kind === 'response') {
      record.state = 'completed';
      record.outcome = message.body.outcome ?? {};
      append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
        workflowExecutionUpdateCompletedEventAttributes: {
          meta: { updateId: message.updateId },
          acceptedEventId: record.acceptedEventId ?? 0,
          outcome: message.body.outcome,
        },
      });
    }
  }
}
