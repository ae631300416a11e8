// The update protocol's messages as they cross the wire: requests arrive with a workflow task (poll response
// `messages`), acceptances, rejections and responses go back with its completion. Bodies travel as
// google.protobuf.Any, which the payload visitor does not open, so payload codecs are applied here.
import { temporal, toNumber } from '@odin/api/public';
import type { temporal as proto } from '@temporalio/proto';
import type { CodecCalls } from '../codec/codec-calls.js';
import { type OutgoingUpdateMessage, UPDATE_MESSAGE_TYPES, type UpdateRequest } from '../workflow/updates.js';

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const REQUEST_TYPE = 'temporal.api.update.v1.Request';

type IMessage = proto.api.protocol.v1.IMessage;
type IAny = { type_url?: string | null; value?: Uint8Array | null };

/** The update requests among a task's messages, payloads decoded; messages of other protocols are skipped. */
export async function updateRequestsOf(
  messages: readonly IMessage[],
  calls: CodecCalls,
): Promise<UpdateRequest[]> {
  const requests: UpdateRequest[] = [];
  for (const message of messages) {
    const body = message.body as IAny | null | undefined;
    if (!body?.type_url?.endsWith(`/${REQUEST_TYPE}`)) continue;
    const bytes = body.value ?? new Uint8Array();
    // The request goes back in the acceptance as it came (still encoded); the handler gets a decoded copy.
    const asSent = temporal.api.update.v1.Request.decode(bytes);
    const decoded = await calls.decode(REQUEST_TYPE, temporal.api.update.v1.Request.decode(bytes));
    requests.push({
      updateId: message.protocolInstanceId || decoded.meta?.updateId || '',
      name: decoded.input?.name ?? '',
      args: decoded.input?.args,
      headers: decoded.input?.header?.fields ?? {},
      message: {
        id: message.id ?? '',
        sequencingEventId: toNumber(message.eventId),
        request: asSent,
      },
    });
  }
  return requests;
}

/** Packs the run's outgoing protocol messages for RespondWorkflowTaskCompleted, payloads encoded. */
export async function packUpdateMessages(
  outgoing: readonly OutgoingUpdateMessage[],
  identity: string,
  calls: CodecCalls,
): Promise<IMessage[]> {
  const packed: IMessage[] = [];
  for (const message of outgoing) {
    const typeName = UPDATE_MESSAGE_TYPES[message.kind];
    const type = temporal.api.update.v1[typeName];
    const body = type.fromObject(message.body as Record<string, unknown>) as unknown as Record<
      string,
      unknown
    >;
    if (message.kind === 'response') {
      const response = body as proto.api.update.v1.IResponse;
      response.meta = { updateId: message.updateId, identity };
      await calls.encode(`temporal.api.update.v1.${typeName}`, response);
    } else if (message.kind === 'rejection') {
      // Only the failure is new: the rejected request is echoed as it arrived (already encoded).
      const failure = (body as proto.api.update.v1.IRejection).failure;
      if (failure) await calls.encode('temporal.api.failure.v1.Failure', failure);
    }
    packed.push({
      id: message.id,
      protocolInstanceId: message.updateId,
      body: {
        type_url: TYPE_URL_PREFIX + `temporal.api.update.v1.${typeName}`,
        value: (type as unknown as { encode(m: unknown): { finish(): Uint8Array } }).encode(body).finish(),
      } as IAny as never,
    });
  }
  return packed;
}
