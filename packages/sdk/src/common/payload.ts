import type { IPayload, IPayloads } from './proto-types.js';

/**
 * Converts values to Temporal payloads and back. The default converter matches Temporal's default data converter
 * byte for byte on the wire: `binary/null` for undefined, `binary/plain` for Uint8Array, `json/plain` for the rest,
 * so the official SDKs read our payloads and we read theirs.
 */
export interface PayloadConverter {
  toPayload(value: unknown): IPayload;
  fromPayload<T = unknown>(payload: IPayload | null | undefined): T;
}

export class PayloadConverterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadConverterError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const Encodings = {
  null: 'binary/null',
  binary: 'binary/plain',
  json: 'json/plain',
  protobufJson: 'json/protobuf',
} as const;

export function encodingOf(payload: IPayload | null | undefined): string | undefined {
  const raw = payload?.metadata?.['encoding'];
  return raw ? decoder.decode(raw) : undefined;
}

function withEncoding(encoding: string, data: Uint8Array, extra?: Record<string, Uint8Array>): IPayload {
  return { metadata: { encoding: encoder.encode(encoding), ...extra }, data };
}

export class DefaultPayloadConverter implements PayloadConverter {
  toPayload(value: unknown): IPayload {
    if (value === undefined) return withEncoding(Encodings.null, new Uint8Array(0));
    if (value instanceof Uint8Array) return withEncoding(Encodings.binary, value);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new PayloadConverterError(`Value cannot be converted to JSON: ${(error as Error).message}`);
    }
    if (text === undefined) {
      throw new PayloadConverterError(`Value of type ${typeof value} cannot be converted to a payload`);
    }
    return withEncoding(Encodings.json, encoder.encode(text));
  }

  fromPayload<T = unknown>(payload: IPayload | null | undefined): T {
    if (payload === null || payload === undefined) return undefined as T;
    const encoding = encodingOf(payload);
    const data = payload.data ?? new Uint8Array(0);
    switch (encoding) {
      case Encodings.null:
        return undefined as T;
      case Encodings.binary:
        return new Uint8Array(data) as T;
      case Encodings.json:
      case Encodings.protobufJson:
        return JSON.parse(decoder.decode(data)) as T;
      default:
        throw new PayloadConverterError(
          `Unknown payload encoding ${encoding === undefined ? '(none)' : `"${encoding}"`}: the default converter reads binary/null, binary/plain and json/plain`,
        );
    }
  }
}

export const defaultPayloadConverter: PayloadConverter = new DefaultPayloadConverter();

export function toPayloads(converter: PayloadConverter, values: readonly unknown[]): IPayloads | undefined {
  if (values.length === 0) return undefined;
  return { payloads: values.map((v) => converter.toPayload(v)) };
}

export function fromPayloads(converter: PayloadConverter, payloads: IPayloads | null | undefined): unknown[] {
  return (payloads?.payloads ?? []).map((p) => converter.fromPayload(p));
}

/** The first payload's value (Temporal results and single-argument signals carry one). */
export function firstValue<T>(converter: PayloadConverter, payloads: IPayloads | null | undefined): T {
  return converter.fromPayload<T>(payloads?.payloads?.[0]);
}

/** A map of values (memo, search attributes, headers) as a map of payloads. */
export function toPayloadMap(
  converter: PayloadConverter,
  values: Record<string, unknown> | undefined,
): Record<string, IPayload> | undefined {
  if (!values) return undefined;
  const out: Record<string, IPayload> = {};
  for (const [key, value] of Object.entries(values)) out[key] = converter.toPayload(value);
  return out;
}

export function fromPayloadMap(
  converter: PayloadConverter,
  map: Record<string, IPayload> | null | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map ?? {})) out[key] = converter.fromPayload(value);
  return out;
}
