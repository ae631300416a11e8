import { status } from '@grpc/grpc-js';
import { ServiceError, temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { Failure, HistoryEvent } from '../util/codec.js';
import { asProto } from '../util/proto.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import type { MutableState, UpdateInfo } from './mutable-state.js';

// Workflow Update as it touches a run's durable state: the protocol messages that carry an update to a worker and
// back, the two events an update writes (Accepted, with the request; Completed, with the outcome), and the
// accepted/completed index in mutable state. An update that is only admitted writes nothing: it lives in the host's
// memory (src/updates.ts) until a worker accepts it, and a rejection leaves no event at all. The exception is an
// update a reset reapplies: its WorkflowExecutionUpdateAdmitted event holds the request, and mutable state
// remembers it (`admittedUpdates`) until a worker accepts or rejects it.

export type UpdateRequest = T.api.update.v1.IRequest;
export type UpdateOutcome = T.api.update.v1.IOutcome;
export type ProtocolMessage = T.api.protocol.v1.IMessage;

export const UpdateStage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
export type UpdateStageValue = T.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const REQUEST_TYPE = 'temporal.api.update.v1.Request';

/**
 * New updates are refused while the workflow task keeps failing (its third attempt and later): an update cannot
 * repair the workflow (its request is delivered after the task's events), so waiting for it would only waste the
 * caller's time.
 */
export const FAILING_TASK_ATTEMPT = 3;

/** The id of the message that carries an update's request to the worker (the worker's answers name it). */
export function requestMessageId(updateId: string): string {
  return `${updateId}/request`;
}

/** The outcome of an update that was accepted but never completed because its run closed first. */
export function acceptedUpdateCompletedWorkflowFailure(): Failure {
  return {
    message: 'Workflow Update failed because the Workflow completed before the Update completed.',
    source: 'Server',
    applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
  };
}

/** The rejection the server answers for a worker that completed the task carrying an update without a word on it. */
export function unprocessedUpdateFailure(): Failure {
  return {
    message:
      "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
    source: 'Server',
    applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
  };
}

/** An update (or a poll for one) on a run that is closed and never had it: NOT_FOUND, as Temporal answers. */
export function workflowCompletedError(): ServiceError {
  return ServiceError.notFound('workflow execution already completed');
}

/** FAILED_PRECONDITION with a WorkflowNotReadyFailure detail: the run is not in a state to take the update. */
export function workflowNotReady(message: string): ServiceError {
  return new ServiceError(status.FAILED_PRECONDITION, message, {
    typeName: 'temporal.api.errordetails.v1.WorkflowNotReadyFailure',
    value: {},
  });
}

/** The request checks every update gets before it is admitted (INVALID_ARGUMENT names the missing field). */
export function validateUpdateRequest(updateId: string, request: UpdateRequest | null | undefined): void {
  const missing = (field: string) =>
    ServiceError.invalidArgument(`invalid temporal.api.update.v1.Request: ${field} is not set`);
  if (!request) throw missing('body');
  if (!request.meta) throw missing('meta');
  if (!request.meta.updateId) throw missing('meta.update_id');
  if (request.meta.updateId !== updateId) {
    throw ServiceError.invalidArgument(
      `invalid temporal.api.update.v1.Request: meta.update_id != ${updateId}`,
    );
  }
  if (!request.input) throw missing('input');
  if (!request.input.name) throw missing('input.name');
}

/**
 * The message that delivers an update's request with a workflow task. Its sequencing event is the one before the
 * task's WorkflowTaskStarted: the worker applies it after every event of the task (events that arrived while the
 * task was scheduled are part of it too).
 */
export function requestMessage(
  updateId: string,
  request: UpdateRequest,
  startedEventId: number,
): ProtocolMessage {
  return asProto<ProtocolMessage>({
    id: requestMessageId(updateId),
    protocolInstanceId: updateId,
    eventId: startedEventId - 1,
    body: {
      type_url: TYPE_URL_PREFIX + REQUEST_TYPE,
      value: temporal.api.update.v1.Request.encode(request).finish(),
    },
  });
}

export type UpdateMessage =
  | { kind: 'acceptance'; body: T.api.update.v1.Acceptance }
  | { kind: 'rejection'; body: T.api.update.v1.Rejection }
  | { kind: 'response'; body: T.api.update.v1.Response };

/**
 * A worker's message of the update protocol, decoded; INVALID_ARGUMENT for anything else (another protocol, a body
 * that does not decode).
 */
export function decodeUpdateMessage(message: ProtocolMessage): UpdateMessage {
  const body = message.body as { type_url?: string | null; value?: Uint8Array | null } | null | undefined;
  if (!body)
    throw ServiceError.invalidArgument(`Update ${message.protocolInstanceId} received message with nil body`);
  const typeUrl = body.type_url ?? '';
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const bytes = body.value ?? new Uint8Array();
  const update = temporal.api.update.v1;
  try {
    switch (typeName) {
      case 'temporal.api.update.v1.Acceptance':
        return { kind: 'acceptance', body: update.Acceptance.decode(bytes) };
      case 'temporal.api.update.v1.Rejection':
        return { kind: 'rejection', body: update.Rejection.decode(bytes) };
      case 'temporal.api.update.v1.Response':
        return { kind: 'response', body: update.Response.decode(bytes) };
    }
  } catch (error) {
    throw ServiceError.invalidArgument(`unable to unmarshal request: ${(error as Error).message}`);
  }
  throw ServiceError.invalidArgument(`unsupported protocol type ${typeName || '(none)'}`);
}

export function updateInfo(ms: MutableState, updateId: string): UpdateInfo | undefined {
  return ms.updates?.[updateId];
}

/** The WorkflowExecutionUpdateAdmitted event of an update admitted by one and not accepted or rejected yet. */
export function admittedEventId(ms: MutableState, updateId: string): number | undefined {
  return ms.admittedUpdates?.[updateId];
}

/** Remembers an update a WorkflowExecutionUpdateAdmitted event admitted (the event carries its request). */
export function recordAdmittedUpdate(ms: MutableState, updateId: string, eventId: number): void {
  if (!updateId) return;
  ms.admittedUpdates ??= {};
  ms.admittedUpdates[updateId] = eventId;
}

/** The update left the admitted stage (accepted, or rejected by the workflow). */
export function forgetAdmittedUpdate(ms: MutableState, updateId: string): void {
  if (ms.admittedUpdates?.[updateId] === undefined) return;
  delete ms.admittedUpdates[updateId];
  if (Object.keys(ms.admittedUpdates).length === 0) delete ms.admittedUpdates;
}

/** Accepted updates that have not completed yet (they are in history and survive a restart). */
export function acceptedUpdateIds(ms: MutableState): string[] {
  return Object.entries(ms.updates ?? {})
    .filter(([, info]) => info.completedEventId === 0)
    .map(([id]) => id);
}

/**
 * WorkflowExecutionUpdateAccepted, with the request (the first place an update's request is written; null for one
 * a WorkflowExecutionUpdateAdmitted event holds, when the worker did not echo it).
 */
export function writeUpdateAccepted(
  mut: Mutation,
  updateId: string,
  request: UpdateRequest | null,
  sequencingEventId: number,
): number {
  const event = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
    workflowExecutionUpdateAcceptedEventAttributes: {
      protocolInstanceId: updateId,
      acceptedRequestMessageId: requestMessageId(updateId),
      acceptedRequestSequencingEventId: sequencingEventId,
      acceptedRequest: request,
    },
  });
  const acceptedEventId = Number(event.eventId);
  mut.ms.updates ??= {};
  mut.ms.updates[updateId] = { acceptedEventId, completedEventId: 0 };
  forgetAdmittedUpdate(mut.ms, updateId);
  return acceptedEventId;
}

/** WorkflowExecutionUpdateCompleted, with the worker's outcome. */
export function writeUpdateCompleted(
  mut: Mutation,
  updateId: string,
  response: T.api.update.v1.IResponse,
): number {
  const info = updateInfo(mut.ms, updateId);
  if (!info) throw new Error(`update ${updateId} completes without having been accepted`);
  const event = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
    workflowExecutionUpdateCompletedEventAttributes: {
      meta: response.meta ?? null,
      acceptedEventId: info.acceptedEventId,
      outcome: response.outcome ?? null,
    },
  });
  info.completedEventId = Number(event.eventId);
  mut.dirty = true;
  return info.completedEventId;
}

/** The outcome of a completed update, read from its WorkflowExecutionUpdateCompleted event. */
export async function completedOutcome(
  readEvents: (from: number, toExclusive: number) => Promise<HistoryEvent[]>,
  completedEventId: number,
): Promise<UpdateOutcome> {
  const [event] = await readEvents(completedEventId, completedEventId + 1);
  const outcome = event?.workflowExecutionUpdateCompletedEventAttributes?.outcome;
  if (!outcome) throw new Error(`event ${completedEventId} is not an update's completion`);
  return outcome as UpdateOutcome;
}

/** The update protocol's message types a speculative task may carry back and still be dropped: rejections only. */
export function onlyRejections(messages: readonly ProtocolMessage[]): boolean {
  return messages.every((m) => {
    const typeUrl = (m.body as { type_url?: string | null } | null | undefined)?.type_url ?? '';
    return typeUrl.endsWith('/temporal.api.update.v1.Rejection');
  });
}
