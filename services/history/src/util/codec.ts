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
