// Temporal's HTTP API "shorthand" for payloads: a Payload whose only metadata is `encoding: json/plain` is shown as
// its JSON value, `binary/null` as null, `json/protobuf` (with `messageType`) as the message's JSON plus
// `_protoMessageType`; a Payloads whose every payload has a shorthand is shown as a plain JSON array. Requests may
// use the same forms: a value that is not a standard `{metadata, data}` payload is taken as shorthand.
//
// Hand-written: this is Temporal's own extension of proto3 JSON, which no protojson library knows. It works on
// the JSON tree that protobufjs's protojson reads and writes, and walks only the fields whose type can hold a payload.
import { protoRoot } from '@odin/api';
import { jsonNestsDeeperThan } from '@odin/hugo';
import { type Field, MapField, Type } from 'protobufjs';

const PAYLOAD = '.temporal.api.common.v1.Payload';
const PAYLOADS = '.temporal.api.common.v1.Payloads';
const ANY = '.google.protobuf.Any';
const PROTO_MESSAGE_TYPE_KEY = '_protoMessageType';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const BINARY_NULL = b64('binary/null');

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBase64(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value);
}

const fromBase64 = (value: string) => Buffer.from(value, 'base64').toString('utf8');

// --- which fields can hold a payload -------------------------------------------------------------------------

const holdsPayload = new Map<string, boolean>();

/** Whether values of this type can contain a payload anywhere below (Any counts: its type is known only at run time). */
function typeHoldsPayload(type: Type): boolean {
  const known = holdsPayload.get(type.fullName);
  if (known !== undefined) return known;
  if (type.fullName === PAYLOAD || type.fullName === PAYLOADS || type.fullName === ANY) {
    holdsPayload.set(type.fullName, true);
    return true;
  }
  // Cycles (Failure.cause is a Failure) are assumed to hold one while being decided: walking a field that holds
  // nothing costs time, never correctness.
  holdsPayload.set(type.fullName, true);
  const result = type.fieldsArray.some((field) => {
    field.resolve();
    return field.resolvedType instanceof Type && typeHoldsPayload(field.resolvedType);
  });
  holdsPayload.set(type.fullName, result);
  return result;
}

const payloadFieldsCache = new Map<string, Field[]>();

function payloadFields(type: Type): Field[] {
  let fields = payloadFieldsCache.get(type.fullName);
  if (!fields) {
    fields = type.fieldsArray.filter((field) => {
      field.resolve();
      return field.resolvedType instanceof Type && typeHoldsPayload(field.resolvedType);
    });
    payloadFieldsCache.set(type.fullName, fields);
  }
  return fields;
}

/** Applies `convert` to every value of a field in a JSON object, whatever spelling of the field name it uses. */
function eachFieldValue(json: JsonObject, field: Field, convert: (type: Type, value: Json) => Json): void {
  const type = field.resolvedType as Type;
  for (const name of new Set([field.name, field.jsonName, field.protoName])) {
    if (!Object.hasOwn(json, name)) continue;
    const value = json[name]!;
    if (field instanceof MapField) {
      if (isObject(value)) for (const key of Object.keys(value)) value[key] = convert(type, value[key]!);
    } else if (field.repeated) {
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) value[i] = convert(type, value[i]!);
    } else if (value !== null) {
      // A null singular message field means "unset" in proto3 JSON, for payloads too.
      json[name] = convert(type, value);
    }
  }
}

function anyBodyType(json: JsonObject): Type | undefined {
  const url = json['@type'];
  if (typeof url !== 'string') return undefined;
  try {
    return protoRoot.lookupType(url.slice(url.lastIndexOf('/') + 1));
  } catch {
    return undefined;
  }
}

// --- responses: standard form -> shorthand -------------------------------------------------------------------

/** The shorthand of one payload in standard JSON form, or undefined when it has none. */
function payloadShorthand(json: Json): { value: Json } | undefined {
  if (!isObject(json) || !isObject(json.metadata) || json.externalPayloads !== undefined) return undefined;
  const metadata = json.metadata;
  const encodingB64 = metadata.encoding;
  if (typeof encodingB64 !== 'string') return undefined;
  const keys = Object.keys(metadata);
  const encoding = fromBase64(encodingB64);
  const data = typeof json.data === 'string' ? fromBase64(json.data) : '';
  // Data nested too deep to serialize again stays in the standard form (base64), which any depth survives.
  if (jsonNestsDeeperThan(data)) return undefined;
  try {
    if (encoding === 'binary/null') return { value: null };
    if (encoding === 'json/plain' && keys.length === 1) return { value: JSON.parse(data) as Json };
    if (encoding === 'json/protobuf' && keys.length === 2 && typeof metadata.messageType === 'string') {
      const message = JSON.parse(data) as Json;
      if (!isObject(message)) return undefined;
      return { value: { ...message, [PROTO_MESSAGE_TYPE_KEY]: fromBase64(metadata.messageType) } };
    }
  } catch {
    // Data that does not parse as its encoding claims stays in the standard form.
  }
  return undefined;
}

function toShorthand(type: Type, json: Json): Json {
  if (!isObject(json)) return json;
  if (type.fullName === PAYLOAD) return payloadShorthand(json)?.value ?? json;
  if (type.fullName === PAYLOADS) {
    const items = Array.isArray(json.payloads) ? json.payloads : [];
    const shorthands = items.map(payloadShorthand);
    if (shorthands.every((s) => s !== undefined)) return shorthands.map((s) => s!.value);
    return { ...json, payloads: items.map((item, i) => shorthands[i]?.value ?? item) };
  }
  if (type.fullName === ANY) {
    const inner = anyBodyType(json);
    return inner ? toShorthand(inner, json) : json;
  }
  for (const field of payloadFields(type)) eachFieldValue(json, field, toShorthand);
  return json;
}

/** Rewrites a proto3 JSON value of `type` (in place) so its payloads use Temporal's shorthand where they can. */
export function payloadsToShorthand(type: Type, json: Json): Json {
  return toShorthand(type, json);
}

// --- requests: shorthand -> standard form --------------------------------------------------------------------

/** Whether a JSON value is a payload in the standard form (metadata with an encoding, base64 everywhere). */
function isStandardPayload(json: JsonObject): boolean {
  const metadata = json.metadata;
  if (!isObject(metadata) || metadata.encoding === undefined) return false;
  if (!Object.values(metadata).every(isBase64)) return false;
  const keys = Object.keys(json).filter((k) => k !== 'externalPayloads' && k !== 'external_payloads');
  if (!('data' in json)) return keys.length === 1 && metadata.encoding === BINARY_NULL;
  return keys.length === 2 && isBase64(json.data);
}

function payloadFromShorthand(json: Json): Json {
  if (json === null) return { metadata: { encoding: BINARY_NULL } };
  if (isObject(json) && isStandardPayload(json)) return json;
  if (isObject(json) && typeof json[PROTO_MESSAGE_TYPE_KEY] === 'string') {
    const { [PROTO_MESSAGE_TYPE_KEY]: messageType, ...message } = json;
    return {
      metadata: { encoding: b64('json/protobuf'), messageType: b64(messageType as string) },
      data: b64(JSON.stringify(message)),
    };
  }
  return { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(json)) };
}

function fromShorthand(type: Type, json: Json): Json {
  if (type.fullName === PAYLOAD) return payloadFromShorthand(json);
  if (type.fullName === PAYLOADS) {
    if (Array.isArray(json)) return { payloads: json.map(payloadFromShorthand) };
    if (isObject(json) && Array.isArray(json.payloads)) {
      return { ...json, payloads: json.payloads.map(payloadFromShorthand) };
    }
    return json;
  }
  if (!isObject(json)) return json;
  if (type.fullName === ANY) {
    const inner = anyBodyType(json);
    return inner ? fromShorthand(inner, json) : json;
  }
  for (const field of payloadFields(type)) eachFieldValue(json, field, fromShorthand);
  return json;
}

/** Rewrites a request's JSON (in place) so every payload given in shorthand is in the standard proto3 JSON form. */
export function payloadsFromShorthand(type: Type, json: Json): Json {
  return fromShorthand(type, json);
}

export type { Json, JsonObject };
