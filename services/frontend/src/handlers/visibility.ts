import { msToTimestamp, temporal } from '@odin/api';
import type { VisibilityRecord } from '@odin/persistence';
import type { FrontendDeps, HandlerMap, Req } from '../handler-types.js';
import * as v from '../validate.js';
import { parseVisibilityQuery } from '../visibility-query.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const DATETIME = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME;
const INT = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT;

/** The system search attributes the SQL visibility store keeps for every run. */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, number>> = {
  WorkflowId: KEYWORD,
  RunId: KEYWORD,
  WorkflowType: KEYWORD,
  ExecutionStatus: KEYWORD,
  TaskQueue: KEYWORD,
  StartTime: DATETIME,
  CloseTime: DATETIME,
  ExecutionTime: DATETIME,
  HistoryLength: INT,
};

function decodeMemo(bytes: Uint8Array | null | undefined): object | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return temporal.api.common.v1.Memo.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Visibility keeps search attributes as JSON values (so SQL can filter on them); clients expect Temporal payloads,
 * which the default data converter reads as `json/plain`.
 */
function encodeSearchAttributes(values: Record<string, unknown> | null | undefined): object | undefined {
  if (!values || Object.keys(values).length === 0) return undefined;
  const indexedFields: Record<string, object> = {};
  for (const [name, value] of Object.entries(values)) {
    indexedFields[name] = {
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify(value)),
    };
  }
  return { indexedFields };
}

/** A visibility row as Temporal's WorkflowExecutionInfo. */
export function executionInfo(record: VisibilityRecord): object {
  return {
    execution: { workflowId: record.workflowId, runId: record.runId },
    type: { name: record.workflowType },
    startTime: msToTimestamp(record.startTime),
    executionTime: msToTimestamp(record.executionTime),
    ...(record.closeTime ? { closeTime: msToTimestamp(record.closeTime) } : {}),
    status: record.status,
    historyLength: record.historyLength,
    taskQueue: record.taskQueue,
    memo: decodeMemo(record.memo),
    searchAttributes: encodeSearchAttributes(record.searchAttributes),
    ...(record.parentWorkflowId
      ? { parentExecution: { workflowId: record.parentWorkflowId, runId: record.parentRunId ?? '' } }
      : {}),
  };
}

export function visibilityHandlers(deps: FrontendDeps): HandlerMap {
  const { ctx, namespaces } = deps;
  const store = ctx.store.visibility;

  async function list(req: Req<'ListWorkflowExecutionsRequest'>) {
    const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
    v.pageSize(req.pageSize);
    const filter = parseVisibilityQuery(req.query);
    const pageToken = req.nextPageToken?.length ? Buffer.from(req.nextPageToken).toString('utf8') : undefined;
    const page = await store.listVisibility(namespace.id, filter, {
      pageSize: req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    return {
      executions: page.items.map(executionInfo),
      nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'utf8') : Buffer.alloc(0),
    };
  }

  return {
    ListWorkflowExecutions: list,

    async ScanWorkflowExecutions(req: Req<'ScanWorkflowExecutionsRequest'>) {
      return list(req);
    },

    async CountWorkflowExecutions(req: Req<'CountWorkflowExecutionsRequest'>) {
      const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
      const filter = parseVisibilityQuery(req.query);
      return { count: await store.countVisibility(namespace.id, filter), groups: [] };
    },

    async GetSearchAttributes() {
      return { keys: { ...SYSTEM_SEARCH_ATTRIBUTES } };
    },
  };
}
