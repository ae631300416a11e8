import type { temporal as proto } from '@temporalio/proto';
import { ApplicationFailure, errorToFailure } from '../common/failure.js';
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import { fromPayloads, type PayloadConverter, toPayloads } from '../common/payload.js';
import type { IPayloads } from '../common/proto-types.js';
import { isCancellation } from './cancellation-scope.js';
import type { CommandBuffer } from './command-buffer.js';
import { protocolMessageCommand, updateMessageId } from './command-builders.js';
import { DeterminismViolationError } from './errors.js';
import { isWorkflowFailure } from './execution.js';
import type { UpdateInput, WorkflowInboundCallsInterceptor } from './interceptors.js';

type UpdateProto = typeof proto.api.update.v1;
export type IUpdateRequest = proto.api.update.v1.IRequest;

export type UpdateHandler = (...args: unknown[]) => unknown;
export type UpdateValidator = (...args: unknown[]) => void;

/** An update request delivered to the run: by a protocol message (live) or by its UpdateAccepted event (replay). */
export interface UpdateRequest {
  readonly updateId: string;
  readonly name: string;
  readonly args: IPayloads | null | undefined;
  readonly headers: Headers;
  /**
   * The protocol message that delivered it to the task being worked on: its validator runs and it is accepted or
   * rejected. Absent when history already accepted it (replay): no validator, the acceptance is only matched.
   */
  readonly message?: {
    readonly id: string;
    readonly sequencingEventId: number;
    readonly request: IUpdateRequest;
  };
}

/** A protocol message the run sends back with its task's completion (payloads not yet codec-encoded). */
export type OutgoingUpdateMessage =
  | { kind: 'acceptance'; id: string; updateId: string; body: proto.api.update.v1.IAcceptance }
  | { kind: 'rejection'; id: string; updateId: string; body: proto.api.update.v1.IRejection }
  | { kind: 'response'; id: string; updateId: string; body: proto.api.update.v1.IResponse };

/** The proto message type of each outgoing kind, for packing it into a google.protobuf.Any. */
export const UPDATE_MESSAGE_TYPES: Record<OutgoingUpdateMessage['kind'], keyof UpdateProto> = {
  acceptance: 'Acceptance',
  rejection: 'Rejection',
  response: 'Response',
};

/**
 * The run's update handlers and the protocol of each update it receives: validate (live only), accept with a
 * PROTOCOL_MESSAGE command, run the handler, complete with a second one. A rejection writes nothing: it is only a
 * message. Replay delivers an accepted update again from its UpdateAccepted event, at the same point of the same
 * task (after the task's events), so its handler issues the same commands.
 */
export class Updates {
  private readonly handlers = new Map<string, { handler: UpdateHandler; validator?: UpdateValidator }>();
  private outgoing: OutgoingUpdateMessage[] = [];
  private running = 0;

  constructor(
    private readonly commands: CommandBuffer,
    private readonly converter: PayloadConverter,
    private readonly failTask: (error: unknown) => void,
    private readonly inbound: () => readonly WorkflowInboundCallsInterceptor[],
  ) {}

  setHandler(name: string, handler: UpdateHandler | undefined, validator?: UpdateValidator): void {
    if (!handler) this.handlers.delete(name);
    else this.handlers.set(name, validator ? { handler, validator } : { handler });
  }

  /** Update handlers that have started and not finished yet. */
  get inFlight(): number {
    return this.running;
  }

  /** The protocol messages issued since the last call (each activation takes its own). */
  takeMessages(): OutgoingUpdateMessage[] {
    const taken = this.outgoing;
    this.outgoing = [];
    return taken;
  }

  /** Receives one update, as workflow code (inside the run's deterministic context). */
  deliver(request: UpdateRequest): void {
    const entry = this.handlers.get(request.name);
    const input: UpdateInput = {
      updateId: request.updateId,
      name: request.name,
      args: fromPayloads(this.converter, request.args),
      headers: request.headers,
    };
    const message = request.message;
    if (message) {
      if (this.commands.completed) {
        this.reject(
          request,
          message,
          new ApplicationFailure({ message: 'Workflow is closing: the update cannot run' }),
        );
        return;
      }
      if (!entry) {
        this.reject(
          request,
          message,
          new ApplicationFailure({ message: `No registered handler for update: ${request.name}` }),
        );
        return;
      }
      try {
        const validate = composeInterceptors(this.inbound(), 'validateUpdate', (call) => {
          entry.validator?.(...call.args);
        });
        validate(input);
      } catch (error) {
        this.reject(request, message, error);
        return;
      }
    } else if (!entry) {
      this.failTask(
        new DeterminismViolationError(
          `History accepted update "${request.name}" (${request.updateId}) but the workflow has no handler for it`,
        ),
      );
      return;
    }
    const acceptId = updateMessageId(request.updateId, 'accept');
    this.commands.issue(protocolMessageCommand(acceptId));
    this.outgoing.push({
      kind: 'acceptance',
      id: acceptId,
      updateId: request.updateId,
      body: message
        ? {
            acceptedRequestMessageId: message.id,
            // protobufjs takes numbers for int64 fields; its typings only name Long.
            acceptedRequestSequencingEventId: message.sequencingEventId as never,
            acceptedRequest: message.request,
          }
        : {},
    });
    this.running++;
    const handle = composeInterceptors(this.inbound(), 'handleUpdate', async (call) =>
      entry!.handler(...call.args),
    );
    let outcome: Promise<unknown>;
    try {
      outcome = handle(input);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome
      .then(
        (value) => this.complete(request.updateId, { success: toPayloads(this.converter, [value]) ?? null }),
        (error: unknown) => {
          // As a workflow's own code: a Temporal failure (or cancellation) fails the update, a bug fails the task.
          if (isWorkflowFailure(error) || isCancellation(error)) {
            this.complete(request.updateId, { failure: errorToFailure(error, this.converter) });
          } else this.failTask(error);
        },
      )
      .finally(() => {
        this.running--;
      });
  }

  private reject(
    request: UpdateRequest,
    message: NonNullable<UpdateRequest['message']>,
    error: unknown,
  ): void {
    this.outgoing.push({
      kind: 'rejection',
      id: updateMessageId(request.updateId, 'reject'),
      updateId: request.updateId,
      body: {
        rejectedRequestMessageId: message.id,
        rejectedRequestSequencingEventId: message.sequencingEventId as never,
        rejectedRequest: message.request,
        failure: errorToFailure(error, this.converter),
      },
    });
  }

  private complete(updateId: string, outcome: proto.api.update.v1.IOutcome): void {
    // A run that already closed sends nothing more: the server fails its open updates itself.
    if (this.commands.completed) return;
    const id = updateMessageId(updateId, 'complete');
    this.commands.issue(protocolMessageCommand(id));
    this.outgoing.push({ kind: 'response', id, updateId, body: { meta: { updateId }, outcome } });
  }
}
