import { ServiceError, temporal } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import { runKey } from '../../cache.js';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { eventsWithinBytes } from '../../state/poll-responses.js';
import { transientEvents } from '../../state/workflow-task.js';
import type { HistoryEvent } from '../../util/codec.js';
import { protoEvents } from '../../util/proto.js';
import { decodePageToken, encodePageToken } from '../../state/page-token.js';
import type { HistoryPageToken } from '../../state/page-token.js';

const FilterType = temporal.api.enums.v1.HistoryEventFilterType;
/** Long polls answer this long before the caller's deadline so the empty answer arrives in time. */
const DEADLINE_MARGIN_MS = 1_000;

/**
 * Pages a run's history (the token pins the run and its end event), or with CLOSE_EVENT returns only the close
 * event; `wait_new_event` long-polls for it and answers empty with a token before the caller gives up.
 */
export async function getWorkflowExecutionHistory(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'GetWorkflowExecutionHistoryRequest'>,
  ctx: CallContext,
): Promise<Res<'GetWorkflowExecutionHistoryResponse'>> {
  const workflowId = req.execution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('Execution.WorkflowId is not set on the request.');
  const token = decodePageToken(req.nextPageToken);
  if (token?.reverse) {
    throw ServiceError.invalidArgument('NextPageToken is a token of GetWorkflowExecutionHistoryReverse.');
  }
  const runId = token?.runId || req.execution?.runId || '';
  const pageSize =
    req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : engine.options.historyPageSize;
  const closeOnly = req.historyEventFilterType === FilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
  const waitUntil = Math.min(
    engine.now() + engine.options.historyLongPollMs,
    (ctx.deadline ?? Number.POSITIVE_INFINITY) - DEADLINE_MARGIN_MS,
  );

  for (;;) {
    const page = await engine.read(ns.id, workflowId, runId, async (run) => {
      const ms = run.ms;
      if (closeOnly) {
        if (isRunning(ms)) return { kind: 'wait', runId: ms.runId } as const;
        const close = await engine.readEvents(run, ms.completionEventId, ms.completionEventId + 1);
        return { kind: 'page', events: close } as const;
      }
      const pinned: HistoryPageToken = token ?? { runId: ms.runId, next: 1, end: ms.nextEventId };
      if (req.waitNewEvent && pinned.next >= ms.nextEventId && isRunning(ms)) {
        return { kind: 'wait', runId: ms.runId } as const;
      }
      const end = token && !req.waitNewEvent ? pinned.end : ms.nextEventId;
      const upTo = Math.min(end, pinned.next + pageSize);
      const read: HistoryEvent[] = await engine.readEvents(run, pinned.next, upTo);
      // A page also stops at the byte budget, so a few huge events never make a message clients refuse.
      const kept = eventsWithinBytes(read, engine.options.historyPageBytes);
      if (kept < read.length) {
        return {
          kind: 'page',
          events: read.slice(0, kept),
          next: encodePageToken({ ...pinned, runId: ms.runId, next: pinned.next + kept, end }),
        } as const;
      }
      const events = read;
      if (upTo < end) {
        return {
          kind: 'page',
          events,
          next: encodePageToken({ ...pinned, runId: ms.runId, next: upTo, end }),
        } as const;
      }
      if (req.waitNewEvent && isRunning(ms)) {
        return { kind: 'page', events, next: encodePageToken({ runId: ms.runId, next: end, end }) } as const;
      }
      const wft = ms.workflowTask;
      if (
        pinned.transient &&
        wft?.transient &&
        wft.scheduledEventId === pinned.transient.scheduledEventId &&
        wft.attempt === pinned.transient.attempt
      ) {
        events.push(...transientEvents(ms, engine.options.historyLimits));
      }
      return { kind: 'page', events, next: undefined } as const;
    });
    if (page.kind === 'page') {
      return {
        history: { events: protoEvents(page.events) },
        nextPageToken: page.next ?? new Uint8Array(),
        archived: false,
      };
    }
    const remaining = waitUntil - engine.now();
    const woke =
      remaining > 0 &&
      (await engine.waiters.wait(runKey(ns.id, workflowId, page.runId), remaining, ctx.signal));
    if (!woke) {
      const ms = await engine.read(ns.id, workflowId, page.runId, (run) => run.ms);
      return {
        history: { events: [] },
        nextPageToken: encodePageToken(
          token ?? {
            runId: ms.runId,
            next: closeOnly ? 1 : ms.nextEventId,
            end: ms.nextEventId,
            waitClose: closeOnly,
          },
        ),
        archived: false,
      };
    }
  }
}
