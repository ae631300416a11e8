import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { runKey } from './cache.js';
import { payloadsSize } from './commands/payload-limits.js';
import type { MutableState } from './state/mutable-state.js';

export type QueryOutcome =
  | { kind: 'answered'; result: T.api.query.v1.IWorkflowQueryResult }
  /** The worker's answer was over the blob size limit: the query fails (Temporal's "Blob data size exceeds limit."). */
  | { kind: 'too-large' }
  /** No workflow task will carry the query: dispatch it to a worker directly. */
  | { kind: 'direct' };

interface PendingQuery {
  readonly id: string;
  readonly query: T.api.query.v1.IWorkflowQuery;
  /** `${scheduledEventId}:${attempt}` of the workflow task that carries it. */
  attachedTo?: string;
  settle(outcome: QueryOutcome): void;
}

function taskKey(ms: MutableState): string | undefined {
  const wft = ms.workflowTask;
  return wft ? `${wft.scheduledEventId}:${wft.attempt}` : undefined;
}

/**
 * Queries waiting for a workflow task (in memory only, as in Temporal: never persisted). A query that arrives while
 * a task is scheduled or running rides on the next task that starts (poll response `queries`) and is answered by
 * its completion's `query_results`; when no task is left to carry it, its caller dispatches it directly.
 */
export class QueryRegistry {
  readonly #byRun = new Map<string, Map<string, PendingQuery>>();

  register(
    ms: MutableState,
    id: string,
    query: T.api.query.v1.IWorkflowQuery,
  ): { promise: Promise<QueryOutcome>; cancel(): void } {
    const key = runKey(ms.namespaceId, ms.workflowId, ms.runId);
    let queries = this.#byRun.get(key);
    if (!queries) {
      queries = new Map();
      this.#byRun.set(key, queries);
    }
    const map = queries;
    let settle!: (outcome: QueryOutcome) => void;
    const promise = new Promise<QueryOutcome>((resolve) => {
      settle = (outcome) => {
        map.delete(id);
        if (map.size === 0 && this.#byRun.get(key) === map) this.#byRun.delete(key);
        resolve(outcome);
      };
    });
    map.set(id, { id, query, settle });
    return { promise, cancel: () => map.get(id)?.settle({ kind: 'direct' }) };
  }

  /** Called when a workflow task starts: every waiting query rides on it. */
  attachToWorkflowTask(ms: MutableState): Record<string, T.api.query.v1.IWorkflowQuery> {
    const queries = this.#byRun.get(runKey(ms.namespaceId, ms.workflowId, ms.runId));
    const out: Record<string, T.api.query.v1.IWorkflowQuery> = {};
    const key = taskKey(ms);
    if (!queries || !key) return out;
    for (const q of queries.values()) {
      if (!q.attachedTo || q.attachedTo === key) {
        q.attachedTo = key;
        out[q.id] = q.query;
      }
    }
    return out;
  }

  /** Settles the queries a workflow task completion answered; an answer over `blobLimit` bytes fails its query. */
  answer(
    ms: MutableState,
    results: Record<string, T.api.query.v1.IWorkflowQueryResult>,
    blobLimit: number,
  ): void {
    const queries = this.#byRun.get(runKey(ms.namespaceId, ms.workflowId, ms.runId));
    if (!queries) return;
    for (const [id, result] of Object.entries(results)) {
      const tooLarge =
        result.resultType === temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_ANSWERED &&
        payloadsSize(result.answer) > blobLimit;
      queries.get(id)?.settle(tooLarge ? { kind: 'too-large' } : { kind: 'answered', result });
    }
  }

  /** After a commit: queries whose task ended unanswered wait for the next one, or go direct if there is none. */
  onCommit(ms: MutableState): void {
    const queries = this.#byRun.get(runKey(ms.namespaceId, ms.workflowId, ms.runId));
    if (!queries) return;
    const key = taskKey(ms);
    for (const q of [...queries.values()]) {
      if (q.attachedTo && q.attachedTo !== key) q.attachedTo = undefined;
      if (!key || ms.status !== 1) q.settle({ kind: 'direct' });
    }
  }
}
