import type { ExecutionKey, HistoryEventRow, HistoryStore, ReadHistoryOptions } from '../contract.js';
import { ExecutionNotFoundError, InvalidPageTokenError } from '../contract.js';
import { decodeToken, encodeToken, toBytes, toNumber } from '../codec.js';
import type { StoreContext } from './context.js';

/** Token: the run it belongs to, the next event id to read, and the pinned exclusive upper bound. */
interface HistoryToken {
  r: string;
  n: number;
  m: number;
}

function isHistoryToken(v: unknown): v is HistoryToken {
  const t = v as HistoryToken;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof t.r === 'string' &&
    Number.isSafeInteger(t.n) &&
    Number.isSafeInteger(t.m)
  );
}

export class SqlHistoryStore implements HistoryStore {
  constructor(private readonly ctx: StoreContext) {}

  async readHistory(
    key: ExecutionKey,
    options: ReadHistoryOptions,
  ): Promise<{ events: HistoryEventRow[]; nextPageToken?: string }> {
    const pageSize = Math.max(1, Math.floor(options.pageSize));
    let from: number;
    let max: number;
    if (options.pageToken !== undefined) {
      const token = decodeToken(options.pageToken, isHistoryToken);
      if (token.r !== key.runId) throw new InvalidPageTokenError();
      from = token.n;
      max = token.m;
    } else {
      // Pin the upper bound to what is committed now: a reader never sees past next_event_id, so it never sees a
      // half-appended transition, and later pages do not grow under the caller.
      const row = await this.ctx.db
        .selectFrom('workflow_executions')
        .select('next_event_id')
        .where('namespace_id', '=', key.namespaceId)
        .where('workflow_id', '=', key.workflowId)
        .where('run_id', '=', key.runId)
        .executeTakeFirst();
      if (row === undefined) throw new ExecutionNotFoundError(key);
      const next = toNumber(row.next_event_id);
      from = Math.max(1, options.minEventId ?? 1);
      max = Math.min(options.maxEventId ?? next, next);
    }
    if (from >= max) return { events: [] };
    const rows = await this.ctx.db
      .selectFrom('history_events')
      .select(['event_id', 'data'])
      .where('namespace_id', '=', key.namespaceId)
      .where('workflow_id', '=', key.workflowId)
      .where('run_id', '=', key.runId)
      .where('event_id', '>=', from)
      .where('event_id', '<', max)
      .orderBy('event_id')
      .limit(pageSize)
      .execute();
    const events = rows.map((r) => ({ eventId: toNumber(r.event_id), data: toBytes(r.data) }));
    const last = events[events.length - 1];
    if (events.length < pageSize || last === undefined || last.eventId + 1 >= max) return { events };
    return { events, nextPageToken: encodeToken({ r: key.runId, n: last.eventId + 1, m: max }) };
  }
}
