import { ServiceError } from '@odin/api';

/**
 * The opaque next_page_token of GetWorkflowExecutionHistory and of poll responses. It pins the run and the end of
 * the history being paged (so a page never shows events written after the first call) and, for a transient
 * workflow task, which task's Scheduled/Started events the last page must append.
 */
export interface HistoryPageToken {
  runId: string;
  /** Next event id to return. */
  next: number;
  /** Exclusive end (pinned). */
  end: number;
  transient?: { scheduledEventId: number; attempt: number };
  /** A CLOSE_EVENT long poll that has not seen the close yet. */
  waitClose?: boolean;
  /** A GetWorkflowExecutionHistoryReverse page: `next` is the exclusive upper bound of the next (earlier) page. */
  reverse?: boolean;
}

export function encodePageToken(token: HistoryPageToken): Uint8Array {
  return Buffer.from(JSON.stringify({ v: 1, ...token }), 'utf8');
}

export function decodePageToken(bytes: Uint8Array | null | undefined): HistoryPageToken | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const t = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<HistoryPageToken> & { v?: number };
    if (t.v === 1 && typeof t.runId === 'string' && typeof t.next === 'number' && typeof t.end === 'number') {
      return t as HistoryPageToken;
    }
  } catch {
    // fall through
  }
  throw ServiceError.invalidArgument(
    'NextPageToken is invalid: pass back the token a previous page returned.',
  );
}
