import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { decodePageToken, encodePageToken } from '../../state/page-token.js';
import { protoEvents } from '../../util/proto.js';

/**
 * A run's history from its last event back to its first, a page at a time. The first call pins the run and its
 * last event, so later pages never show events written meanwhile; the token's `next` is the exclusive upper bound
 * of the next page. No long poll and no transient workflow-task events (Temporal's reverse read has neither).
 */
export async function getWorkflowExecutionHistoryReverse(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'GetWorkflowExecutionHistoryReverseRequest'>,
  _ctx: CallContext,
): Promise<Res<'GetWorkflowExecutionHistoryReverseResponse'>> {
  const workflowId = req.execution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('Execution.WorkflowId is not set on the request.');
  const token = decodePageToken(req.nextPageToken);
  if (token && !token.reverse) {
    throw ServiceError.invalidArgument('NextPageToken is not a token of GetWorkflowExecutionHistoryReverse.');
  }
  const runId = token?.runId || req.execution?.runId || '';
  const pageSize =
    req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : engine.options.historyPageSize;
  return engine.read(ns.id, workflowId, runId, async (run) => {
    const upper = token ? token.next : run.ms.nextEventId;
    const from = Math.max(1, upper - pageSize);
    const events = upper > 1 ? await engine.readEvents(run, from, upper) : [];
    events.reverse();
    return {
      history: { events: protoEvents(events) },
      nextPageToken:
        from > 1
          ? encodePageToken({ runId: run.ms.runId, next: from, end: token?.end ?? upper, reverse: true })
          : new Uint8Array(),
    };
  });
}
