// The MarkerRecorded event a local activity leaves in history, in the layout Temporal's SDK core writes (marker
// `core_local_activity`), so a history written by either SDK replays in the other:
//   details.data   — one json/plain payload: {"seq","attempt","activity_id","activity_type","complete_time",
//                    "backoff","original_schedule_time"}, times and durations as {"seconds","nanos"} objects
//   details.result — the result payload, only when the activity completed
//   failure        — the activity's failure, when it did not (no header is written)
// `data` is read by the workflow runtime itself and is never passed through a payload codec.
import type { IFailure, IPayload, IPayloads } from './proto-types.js';

export const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export interface LocalActivityMarkerData {
  /** The activity sequence number the workflow gave it (shared with activities: ids are `String(seq)`). */
  seq: number;
  /** The attempt that produced this outcome. */
  attempt: number;
  activityId: string;
  activityType: string;
  /** Workflow time when it completed: the workflow task's start plus the time the activity ran. */
  completeTime: number | undefined;
  /** Set when the activity failed and retries after a workflow timer of this many milliseconds. */
  backoffMs: number | undefined;
  /** Wall-clock time of the first attempt's scheduling (schedule-to-close counts from it). */
  originalScheduleTime: number | undefined;
}

/** How a local activity ended, as the marker records it. */
export type LocalActivityOutcome =
  | { readonly kind: 'completed'; readonly result: IPayload | undefined }
  | { readonly kind: 'failed' | 'timedOut' | 'cancelled'; readonly failure: IFailure };

export interface LocalActivityResolution {
  readonly data: LocalActivityMarkerData;
  readonly outcome: LocalActivityOutcome;
}

interface ProtoTime {
  seconds: number;
  nanos: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toProtoTime(ms: number | undefined): ProtoTime | null {
  if (ms === undefined) return null;
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1_000_000) };
}

function fromProtoTime(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { seconds, nanos } = value as Partial<ProtoTime>;
  return Number(seconds ?? 0) * 1000 + Math.floor(Number(nanos ?? 0) / 1_000_000);
}

/** The `details` of a local activity's RecordMarker command. */
export function localActivityMarkerDetails(
  data: LocalActivityMarkerData,
  result: IPayload | undefined,
): Record<string, IPayloads> {
  const json = JSON.stringify({
    seq: data.seq,
    attempt: data.attempt,
    activity_id: data.activityId,
    activity_type: data.activityType,
    complete_time: toProtoTime(data.completeTime),
    backoff: toProtoTime(data.backoffMs),
    original_schedule_time: toProtoTime(data.originalScheduleTime),
  });
  const details: Record<string, IPayloads> = {
    data: {
      payloads: [{ metadata: { encoding: encoder.encode('json/plain') }, data: encoder.encode(json) }],
    },
  };
  if (result) details['result'] = { payloads: [result] };
  return details;
}

/** The `data` detail of a local activity marker; undefined when the details are not one. */
export function readLocalActivityMarkerData(
  details: Record<string, IPayloads | null | undefined> | null | undefined,
): LocalActivityMarkerData | undefined {
  const raw = details?.['data']?.payloads?.[0]?.data;
  if (!raw) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(decoder.decode(raw)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  return {
    seq: Number(parsed['seq'] ?? 0),
    attempt: Number(parsed['attempt'] ?? 0),
    activityId: String(parsed['activity_id'] ?? ''),
    activityType: String(parsed['activity_type'] ?? ''),
    completeTime: fromProtoTime(parsed['complete_time']),
    backoffMs: fromProtoTime(parsed['backoff']),
    originalScheduleTime: fromProtoTime(parsed['original_schedule_time']),
  };
}

/**
 * The outcome a marker records. Like core, a marker carries no outcome kind: a failure is a cancellation when it
 * (or its cause) is a CanceledFailureInfo, a timeout when it is a TimeoutFailureInfo, otherwise a failure.
 */
export function readLocalActivityOutcome(
  details: Record<string, IPayloads | null | undefined> | null | undefined,
  failure: IFailure | null | undefined,
): LocalActivityOutcome {
  if (!failure) return { kind: 'completed', result: details?.['result']?.payloads?.[0] ?? undefined };
  if (failure.canceledFailureInfo || failure.cause?.canceledFailureInfo)
    return { kind: 'cancelled', failure };
  if (failure.timeoutFailureInfo) return { kind: 'timedOut', failure };
  return { kind: 'failed', failure };
}
