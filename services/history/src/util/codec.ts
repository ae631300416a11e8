import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';

import type { Loose } from './proto.js';

export type HistoryEvent = Loose<T.api.history.v1.IHistoryEvent>;
export type Payloads = T.api.common.v1.IPayloads;
export type Failure = T.api.failure.v1.IFailure;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function encodeEvent(event: HistoryEvent): Uint8Array {
  return temporal.api.history.v1.HistoryEvent.encode(event as T.api.history.v1.IHistoryEvent).finish();
}

export function decodeEvent(bytes: Uint8Array): HistoryEvent {
  return temporal.api.history.v1.HistoryEvent.decode(bytes);
}

/**
 * The encoding of each committed event (as written, or as read from the store), which never changes: paging a
 * response by bytes and encoding the response itself then reuse it instead of encoding the event again. Held as long
 * as the event object is (the run cache's history), and no longer.
 */
const encodedEvents = new WeakMap<HistoryEvent, Uint8Array>();

/** Records the encoding of a committed event. */
export function rememberEncoding(event: HistoryEvent, bytes: Uint8Array): void {
  encodedEvents.set(event, bytes);
}

/** The event's encoding: remembered for committed events, made for others (transient ones). */
export function encodingOf(event: HistoryEvent): Uint8Array {
  return encodedEvents.get(event) ?? encodeEvent(event);
}

/** The event's encoded size: known for committed events, computed for others (transient ones). */
export function encodedEventSize(event: HistoryEvent): number {
  return encodingOf(event).length;
}

/** What of protobufjs's writer and reflected type the reuse below touches (protobufjs 8's growable buffer). */
interface EventWriter {
  buf: Uint8Array;
  pos: number;
  _reserve(bytes: number): void;
}
interface ReflectedType {
  setup(): ReflectedType;
  encode(message: object, writer?: EventWriter, depth?: number): EventWriter;
  fromObject(object: object): object;
}

/**
 * Makes protobufjs write a committed event's remembered bytes wherever a message holding it is encoded (poll and
 * history responses), instead of converting (`fromObject`) and encoding the event again. Only events recorded by
 * `rememberEncoding` are affected; any other event, and an event encoded on its own, take protobufjs's own path.
 *
 * Installed when protobufjs sets the type up (its first encode, decode or conversion), not at import: generating
 * HistoryEvent's codec takes 50–100 ms, which was start-up time before the server was ready; the first call that
 * needs it pays it then, as it does for every other message type. Should the type be set up again, the fresh
 * functions it generates are wrapped again.
 */
function reuseEventEncodings(): void {
  // The proto package is a reflection root: the message "class" is protobufjs's Type itself.
  const type = temporal.api.history.v1.HistoryEvent as unknown as ReflectedType;
  const setup = type.setup.bind(type);
  type.setup = () => {
    setup();
    const encode = type.encode.bind(type);
    const fromObject = type.fromObject.bind(type);
    type.encode = (message, writer, depth) => {
      const bytes = writer && encodedEvents.get(message as HistoryEvent);
      if (!writer || bytes === undefined) return encode(message, writer, depth);
      writer._reserve(bytes.length);
      writer.buf.set(bytes, writer.pos);
      writer.pos += bytes.length;
      return writer;
    };
    type.fromObject = (object) => (encodedEvents.has(object as HistoryEvent) ? object : fromObject(object));
    return type;
  };
}
reuseEventEncodings();

export function encodePayloads(p: Payloads | null | undefined): string | undefined {
  if (!p) return undefined;
  return toBase64(temporal.api.common.v1.Payloads.encode(p).finish());
}

export function decodePayloads(text: string | undefined): Payloads | undefined {
  if (!text) return undefined;
  return temporal.api.common.v1.Payloads.decode(fromBase64(text));
}

export function encodeFailure(f: Failure | null | undefined): string | undefined {
  if (!f) return undefined;
  return toBase64(temporal.api.failure.v1.Failure.encode(f).finish());
}

export function decodeFailure(text: string | undefined): Failure | undefined {
  if (!text) return undefined;
  return temporal.api.failure.v1.Failure.decode(fromBase64(text));
}

export function encodeMemo(m: T.api.common.v1.IMemo | null | undefined): string | undefined {
  if (!m) return undefined;
  return toBase64(temporal.api.common.v1.Memo.encode(m).finish());
}

export function decodeMemo(text: string | undefined): T.api.common.v1.IMemo | undefined {
  if (!text) return undefined;
  return temporal.api.common.v1.Memo.decode(fromBase64(text));
}

export function encodeSearchAttributes(
  s: T.api.common.v1.ISearchAttributes | null | undefined,
): string | undefined {
  if (!s) return undefined;
  return toBase64(temporal.api.common.v1.SearchAttributes.encode(s).finish());
}

export function decodeSearchAttributes(
  text: string | undefined,
): T.api.common.v1.ISearchAttributes | undefined {
  if (!text) return undefined;
  return temporal.api.common.v1.SearchAttributes.decode(fromBase64(text));
}
