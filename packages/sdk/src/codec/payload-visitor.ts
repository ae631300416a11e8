// Finds every payload inside a Temporal API message (a history event, a command, a request or response) through
// the proto definitions, so payload codecs apply to all of them without a list of fields to keep current.
// Headers and search attributes are left alone, as the official SDK leaves them (search attributes must stay
// readable by the server's visibility; headers carry interceptor context), and so is the `data` detail of a
// local activity marker, which the workflow runtime (Temporal's core too) reads itself.
import { protoRoot } from '@odin/api/public';
import { defaultPayloadConverter } from '../common/payload.js';
import type { IFailure, IPayload } from '../common/proto-types.js';
import { LOCAL_ACTIVITY_MARKER } from '../common/local-activity-marker.js';
import { decodePayloads, encodePayloads, type PayloadCodec } from './payload-codec.js';

type Type = ReturnType<typeof protoRoot.lookupType>;
type Field = Type['fieldsArray'][number];

const PAYLOAD = 'temporal.api.common.v1.Payload';
const PAYLOADS = 'temporal.api.common.v1.Payloads';
const FAILURE = 'temporal.api.failure.v1.Failure';
const SKIPPED = new Set(['temporal.api.common.v1.Header', 'temporal.api.common.v1.SearchAttributes']);
const MARKER_TYPES = new Set([
  'temporal.api.history.v1.MarkerRecordedEventAttributes',
  'temporal.api.command.v1.RecordMarkerCommandAttributes',
]);

function fullName(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

const reachesPayloads = new Map<string, boolean>();

/** Whether a message of `type` can hold a payload anywhere below it (memoised; recursive types are fine). */
function holdsPayloads(type: Type, visiting = new Set<string>()): boolean {
  const name = fullName(type);
  const known = reachesPayloads.get(name);
  if (known !== undefined) return known;
  if (name === PAYLOAD || name === PAYLOADS) return true;
  if (SKIPPED.has(name) || visiting.has(name)) return false;
  visiting.add(name);
  let holds = false;
  for (const field of type.fieldsArray) {
    const child = messageTypeOf(field);
    if (child && holdsPayloads(child, visiting)) {
      holds = true;
      break;
    }
  }
  visiting.delete(name);
  // A false answer reached through a cycle may be provisional; only the outermost call records one.
  if (holds || visiting.size === 0) reachesPayloads.set(name, holds);
  return holds;
}

function messageTypeOf(field: Field): Type | undefined {
  field.resolve();
  const resolved = field.resolvedType;
  return resolved && 'fieldsArray' in resolved ? (resolved as Type) : undefined;
}

/** A list of payloads found in a message, and how to put the transformed list back. */
interface Slot {
  readonly payloads: IPayload[];
  put(payloads: IPayload[]): void;
}

function collect(type: Type, message: Record<string, unknown>, slots: Slot[], failures: IFailure[]): void {
  const name = fullName(type);
  if (name === FAILURE) failures.push(message as IFailure);
  const isLocalActivityMarker = MARKER_TYPES.has(name) && message['markerName'] === LOCAL_ACTIVITY_MARKER;
  for (const field of type.fieldsArray) {
    const child = messageTypeOf(field);
    if (!child || !holdsPayloads(child)) continue;
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    const childName = fullName(child);
    const each = (item: unknown, put: (next: unknown) => void, key?: string) => {
      if (item === null || item === undefined) return;
      if (isLocalActivityMarker && field.name === 'details' && key === 'data') return;
      if (childName === PAYLOAD) {
        slots.push({ payloads: [item as IPayload], put: ([first]) => put(first) });
      } else if (childName === PAYLOADS) {
        const list = (item as { payloads?: IPayload[] | null }).payloads;
        if (list?.length) {
          slots.push({
            payloads: [...list],
            put: (next) => {
              (item as { payloads?: IPayload[] }).payloads = next;
            },
          });
        }
      } else {
        collect(child, item as Record<string, unknown>, slots, failures);
      }
    };
    if (field.map) {
      const map = value as Record<string, unknown>;
      for (const key of Object.keys(map)) each(map[key], (next) => (map[key] = next), key);
    } else if (field.repeated) {
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) {
        each(list[i], (next) => {
          list[i] = next;
        });
      }
    } else {
      each(value, (next) => (message[field.name] = next));
    }
  }
}

const typeCache = new Map<string, Type>();

function typeNamed(name: string): Type {
  let type = typeCache.get(name);
  if (!type) {
    type = protoRoot.lookupType(name);
    typeCache.set(name, type);
  }
  return type;
}

export interface CodecOptions {
  codecs: readonly PayloadCodec[];
  /**
   * Moves each failure's message and stack trace into its `encodedAttributes` payload before encoding (the
   * official `encodeCommonAttributes`), so a codec hides them too; decoding always restores them.
   */
  encodeFailureAttributes?: boolean;
}

/**
 * Encodes (in place) every payload of `message`, a `typeName` message such as `temporal.api.command.v1.Command`.
 * Returns `message`.
 */
export async function encodeMessage<T extends object>(
  typeName: string,
  message: T,
  options: CodecOptions,
): Promise<T> {
  const slots: Slot[] = [];
  const failures: IFailure[] = [];
  if (options.encodeFailureAttributes) {
    collect(typeNamed(typeName), message as Record<string, unknown>, [], failures);
    for (const failure of failures) moveAttributesIntoPayload(failure);
  }
  if (options.codecs.length === 0) return message;
  collect(typeNamed(typeName), message as Record<string, unknown>, slots, []);
  await Promise.all(slots.map(async (slot) => slot.put(await encodePayloads(options.codecs, slot.payloads))));
  return message;
}

/** Decodes (in place) every payload of `message`, then restores failures' encoded message and stack trace. */
export async function decodeMessage<T extends object>(
  typeName: string,
  message: T,
  options: CodecOptions,
): Promise<T> {
  const slots: Slot[] = [];
  const failures: IFailure[] = [];
  collect(typeNamed(typeName), message as Record<string, unknown>, slots, failures);
  if (options.codecs.length > 0) {
    await Promise.all(
      slots.map(async (slot) => slot.put(await decodePayloads(options.codecs, slot.payloads))),
    );
  }
  for (const failure of failures) restoreAttributesFromPayload(failure);
  return message;
}

/** Decodes every event of a history (in place). */
export async function decodeHistory<T extends object>(events: T[], options: CodecOptions): Promise<T[]> {
  await Promise.all(
    events.map((event) => decodeMessage('temporal.api.history.v1.HistoryEvent', event, options)),
  );
  return events;
}

function moveAttributesIntoPayload(failure: IFailure): void {
  if (failure.encodedAttributes) return;
  failure.encodedAttributes = defaultPayloadConverter.toPayload({
    message: failure.message ?? '',
    stack_trace: failure.stackTrace ?? '',
  });
  failure.message = 'Encoded failure';
  failure.stackTrace = '';
}

function restoreAttributesFromPayload(failure: IFailure): void {
  if (!failure.encodedAttributes) return;
  try {
    const attributes = defaultPayloadConverter.fromPayload<{ message?: string; stack_trace?: string }>(
      failure.encodedAttributes,
    );
    if (typeof attributes?.message === 'string') failure.message = attributes.message;
    if (typeof attributes?.stack_trace === 'string') failure.stackTrace = attributes.stack_trace;
  } catch {
    // Still encoded (no codec for it here): leave the failure as it came.
  }
}
