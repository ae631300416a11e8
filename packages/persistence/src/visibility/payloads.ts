import { fail, jsonNestsDeeperThan, MAX_JSON_DEPTH, ok, type Result } from '@odin/hugo';
import type { SearchAttributeType, TypedSearchAttribute } from '../contract.js';
import { parseRfc3339Nanos } from './datetime.js';
import { isClientSettable, isSystemSearchAttribute } from './definitions.js';

/** A Temporal Payload as protobufjs decodes it (the structural part search attributes use). */
export interface SearchAttributePayload {
  metadata?: { [key: string]: Uint8Array } | null;
  data?: Uint8Array | null;
}

/** Temporal's default limits on the search attributes of one start or upsert. */
export const SEARCH_ATTRIBUTE_LIMITS = {
  /** Attributes per request. */
  maxKeys: 100,
  /** Bytes of one value's payload data. */
  maxValueBytes: 2 * 1024,
  /** Bytes of all names and values together. */
  maxTotalBytes: 40 * 1024,
} as const;

/**
 * The longest Keyword value (and KeywordList element), in characters: Temporal's SQL schemas keep Keyword attributes
 * in VARCHAR(255) columns, and so does visibility_search_attributes (its index must fit MySQL's key limit).
 */
export const MAX_KEYWORD_LENGTH = 255;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function text(bytes: Uint8Array | null | undefined): string | undefined {
  if (!bytes) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Whether the payload stands for "no value": Temporal removes an attribute upserted with one, and ignores it on
 * a start (no payload, no data, the `binary/null` encoding, JSON `null` or an empty list).
 */
export function isNilSearchAttributePayload(payload: SearchAttributePayload | null | undefined): boolean {
  if (!payload?.data || payload.data.length === 0) return true;
  if (text(payload.metadata?.encoding) === 'binary/null') return true;
  const data = text(payload.data)?.trim();
  return data === 'null' || data === '[]';
}

/** PostgreSQL stores no NUL character in text; Odin refuses it in every string attribute value. */
function isText(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\u0000');
}

function isKeyword(value: unknown): value is string {
  return isText(value) && [...value].length <= MAX_KEYWORD_LENGTH;
}

/** One value of a scalar type: the value itself, or a list of exactly one (older SDKs send every value as a list). */
function single(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

/**
 * The value of a (non-nil) payload as an attribute of `type`, or why it is not one. Values are JSON (`json/plain`,
 * the only encoding search attributes use); Int must be a safe integer (JSON numbers beyond 2^53 lose digits here),
 * Datetime an RFC 3339 string, Keyword at most 255 characters.
 */
export function decodeSearchAttributeValue(
  payload: SearchAttributePayload,
  type: SearchAttributeType,
): Result<TypedSearchAttribute['value']> {
  const encoding = text(payload.metadata?.encoding);
  if (encoding !== undefined && encoding !== 'json/plain')
    return fail(`encoding ${encoding} is not json/plain`);
  const data = text(payload.data);
  if (data === undefined) return fail('the value is not UTF-8');
  if (jsonNestsDeeperThan(data)) return fail(`the value nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return fail('the value is not JSON');
  }
  const shown = data.length > 64 ? `${data.slice(0, 64)}…` : data;
  const invalid = () => fail<TypedSearchAttribute['value']>(shown);
  switch (type) {
    case 'Keyword': {
      const v = single(value);
      return isKeyword(v) ? ok(v) : invalid();
    }
    case 'Text': {
      const v = single(value);
      return isText(v) ? ok(v) : invalid();
    }
    case 'Int': {
      const v = single(value);
      return typeof v === 'number' && Number.isSafeInteger(v) ? ok(v) : invalid();
    }
    case 'Double': {
      const v = single(value);
      return typeof v === 'number' && Number.isFinite(v) ? ok(v) : invalid();
    }
    case 'Bool': {
      const v = single(value);
      return typeof v === 'boolean' ? ok(v) : invalid();
    }
    case 'Datetime': {
      const v = single(value);
      return typeof v === 'string' && parseRfc3339Nanos(v) !== undefined ? ok(v) : invalid();
    }
    case 'KeywordList':
      return Array.isArray(value) && value.length > 0 && value.every(isKeyword) ? ok([...value]) : invalid();
  }
}

/** A payload carrying the value with Temporal's metadata: `encoding: json/plain` and `type: <the type>`. */
export function encodeSearchAttributePayload(attribute: TypedSearchAttribute): {
  metadata: { [key: string]: Uint8Array };
  data: Uint8Array;
} {
  return {
    metadata: { encoding: encoder.encode('json/plain'), type: encoder.encode(attribute.type) },
    data: encoder.encode(JSON.stringify(attribute.value)),
  };
}

/** The payload with its `type` metadata set, as Temporal stores and returns search attributes. */
export function withTypeMetadata<P extends SearchAttributePayload>(payload: P, type: SearchAttributeType): P {
  return { ...payload, metadata: { ...(payload.metadata ?? {}), type: encoder.encode(type) } };
}

/** One attribute of a validated request: its type, value (null for a nil payload) and the payload to keep. */
export interface ValidatedSearchAttribute<P extends SearchAttributePayload> {
  type: SearchAttributeType;
  value: TypedSearchAttribute['value'] | null;
  payload: P;
}

/**
 * Checks the search attributes of a start, upsert, child start or continue-as-new as Temporal does, with its
 * messages: at most 100 of them, none a system attribute, each registered (`typeOf` answers for the namespace's
 * custom and the predefined attributes), each value of its type and at most 2 KiB, 40 KiB in all. Returns every
 * attribute with its payload annotated with its type.
 */
export function validateSearchAttributes<P extends SearchAttributePayload>(
  fields: { [name: string]: P } | null | undefined,
  typeOf: (name: string) => SearchAttributeType | undefined,
): Result<Map<string, ValidatedSearchAttribute<P>>> {
  const out = new Map<string, ValidatedSearchAttribute<P>>();
  const names = Object.keys(fields ?? {}).sort();
  if (names.length > SEARCH_ATTRIBUTE_LIMITS.maxKeys) {
    return fail(
      `number of search attributes ${names.length} exceeds limit ${SEARCH_ATTRIBUTE_LIMITS.maxKeys}`,
    );
  }
  let total = 0;
  for (const name of names) {
    const payload = fields![name]!;
    if (isSystemSearchAttribute(name) || !isClientSettable(name)) {
      return fail(`${name} attribute can't be set in SearchAttributes`);
    }
    const type = typeOf(name);
    if (type === undefined) return fail(`search attribute ${name} is not defined`);
    const size = payload?.data?.length ?? 0;
    if (size > SEARCH_ATTRIBUTE_LIMITS.maxValueBytes) {
      return fail(
        `search attribute ${name} value of size ${size} exceeds size limit ${SEARCH_ATTRIBUTE_LIMITS.maxValueBytes}`,
      );
    }
    total += size + encoder.encode(name).length;
    if (isNilSearchAttributePayload(payload)) {
      out.set(name, { type, value: null, payload });
      continue;
    }
    const value = decodeSearchAttributeValue(payload, type);
    if (!value.ok) {
      return fail(`${value.error.message} is not a valid value for search attribute ${name} of type ${type}`);
    }
    out.set(name, { type, value: value.value, payload: withTypeMetadata(payload, type) });
  }
  if (total > SEARCH_ATTRIBUTE_LIMITS.maxTotalBytes) {
    return fail(
      `total size of search attributes ${total} exceeds size limit ${SEARCH_ATTRIBUTE_LIMITS.maxTotalBytes}`,
    );
  }
  return ok(out);
}
