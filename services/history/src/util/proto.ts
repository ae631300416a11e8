import type { temporal as T } from '@temporalio/proto';

/** protobufjs's int64 representation (a `long` instance) as the generated typings name it. */
export type Long = T.api.history.v1.HistoryEvent['eventId'];

/**
 * A protobuf property object whose int64 fields may also be plain numbers. protobufjs encodes numbers for int64
 * fields, and every id and millisecond value history handles fits in a double, so engine code builds messages with
 * numbers and casts to the generated (Long-only) types at the API boundary with `asProto`.
 */
export type Loose<V> = V extends Long
  ? number | Long
  : V extends Uint8Array
    ? V
    : V extends string | number | boolean | null | undefined
      ? V
      : V extends readonly (infer U)[]
        ? Loose<U>[]
        : V extends object
          ? { [K in keyof V]: Loose<V[K]> }
          : V;

export function asProto<V>(value: Loose<V>): V {
  return value as V;
}

export type Events = T.api.history.v1.IHistoryEvent[];

/** Loose history events as the generated type (see Loose). */
export function protoEvents(events: Loose<T.api.history.v1.IHistoryEvent>[]): Events {
  return events as Events;
}
