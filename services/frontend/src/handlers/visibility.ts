import {
  msToDuration,
  msToTimestamp,
  type NamespaceRef,
  ServiceError,
  temporal,
  timestampToMs,
} from '@odin/api';
import {
  encodeSearchAttributePayload,
  INDEXED_VALUE_TYPES,
  PREDEFINED_SEARCH_ATTRIBUTES,
  type SearchAttributeType,
  SYSTEM_SEARCH_ATTRIBUTES as SYSTEM_TYPES,
  type TypedSearchAttribute,
  type VisibilityFilter,
  type VisibilityRecord,
} from '@odin/persistence';
import type { FrontendDeps, HandlerMap, Req } from '../handler-types.js';
import * as v from '../validate.js';
import {
  parseVisibilityQueryText,
  queryAttributeNames,
  type ResolvedVisibilityQuery,
  resolveVisibilityQuery,
  STATUS_NAMES,
} from '../visibility-query.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const RUNNING = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

/** The request fields ListOpen/ListClosedWorkflowExecutions share (the filters before the query language). */
interface LegacyListRequest {
  namespace?: string | null;
  maximumPageSize?: number | null;
  nextPageToken?: Uint8Array | null;
  startTimeFilter?: {
    earliestTime?: Parameters<typeof timestampToMs>[0];
    latestTime?: Parameters<typeof timestampToMs>[0];
  } | null;
  executionFilter?: { workflowId?: string | null } | null;
  typeFilter?: { name?: string | null } | null;
}

/**
 * The time window of a legacy list: unset or zero bounds are open, as Temporal takes them; a window that ends before
 * it starts is refused.
 */
function legacyWindow(req: LegacyListRequest): { from?: number; to?: number } {
  const from = timestampToMs(req.startTimeFilter?.earliestTime) || undefined;
  const to = timestampToMs(req.startTimeFilter?.latestTime) || undefined;
  if (from !== undefined && to !== undefined && from > to) {
    throw ServiceError.invalidArgument(
      'EarliestTime in StartTimeFilter should not be larger than LatestTime.',
    );
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** Name → IndexedValueType number, as Temporal's APIs answer attribute types. */
function indexedTypes(types: Readonly<Record<string, SearchAttributeType>>): Record<string, number> {
  return Object.fromEntries(Object.entries(types).map(([name, t]) => [name, INDEXED_VALUE_TYPES[t]]));
}

/** The system search attributes the SQL visibility store keeps for every run. */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, number>> = indexedTypes(SYSTEM_TYPES);

/** System and predefined attributes: what Temporal's ListSearchAttributes calls system attributes. */
export const BUILT_IN_SEARCH_ATTRIBUTES: Readonly<Record<string, number>> = {
  ...SYSTEM_SEARCH_ATTRIBUTES,
  ...indexedTypes(PREDEFINED_SEARCH_ATTRIBUTES),
};

function decodeMemo(bytes: Uint8Array | null | undefined): object | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return temporal.api.common.v1.Memo.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Search attributes as Temporal returns them: `json/plain` payloads carrying their type in the `type` metadata. */
function encodeSearchAttributes(
  values: Record<string, TypedSearchAttribute> | null | undefined,
): object | undefined {
  if (!values || Object.keys(values).length === 0) return undefined;
  const indexedFields: Record<string, object> = {};
  for (const [name, attribute] of Object.entries(values))
    indexedFields[name] = encodeSearchAttributePayload(attribute);
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
    historySizeBytes: record.historySizeBytes ?? 0,
    ...(record.executionDuration != null
      ? { executionDuration: msToDuration(record.executionDuration) }
      : {}),
    taskQueue: record.taskQueue,
    memo: decodeMemo(record.memo),
    searchAttributes: encodeSearchAttributes(record.searchAttributes),
    ...(record.parentWorkflowId
      ? { parentExecution: { workflowId: record.parentWorkflowId, runId: record.parentRunId ?? '' } }
      : {}),
    ...(record.rootWorkflowId
      ? { rootExecution: { workflowId: record.rootWorkflowId, runId: record.rootRunId ?? '' } }
      : {}),
  };
}

export function visibilityHandlers(deps: FrontendDeps): HandlerMap {
  const { ctx, namespaces, searchAttributes } = deps;
  const store = ctx.store.visibility;

  /** The query resolved against the namespace's attributes (looked up afresh when it names one unknown here). */
  async function resolve(
    namespace: NamespaceRef,
    query: string | null | undefined,
    count: boolean,
  ): Promise<ResolvedVisibilityQuery> {
    const raw = parseVisibilityQueryText(query);
    const typeOf = await searchAttributes.lookup(namespace.id, queryAttributeNames(raw));
    return resolveVisibilityQuery(raw, typeOf, { count });
  }

  const filterOf = (q: ResolvedVisibilityQuery): VisibilityFilter =>
    q.condition ? { condition: q.condition } : {};

  async function list(req: Req<'ListWorkflowExecutionsRequest'>) {
    const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
    v.pageSize(req.pageSize);
    const query = await resolve(namespace, req.query, false);
    const pageToken = req.nextPageToken?.length ? Buffer.from(req.nextPageToken).toString('utf8') : undefined;
    const page = await store.listVisibility(namespace.id, filterOf(query), {
      pageSize: req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    return {
      executions: page.items.map(executionInfo),
      nextPageToken: page.nextPageToken ? Buffer.from(page.nextPageToken, 'utf8') : Buffer.alloc(0),
    };
  }

  /** One page of the filter, with the page size rule of the legacy lists: unset, zero or too large means the most. */
  async function page(namespaceId: string, filter: VisibilityFilter, req: LegacyListRequest) {
    v.pageSize(req.maximumPageSize, 'MaximumPageSize');
    const size = req.maximumPageSize ?? 0;
    const pageToken = req.nextPageToken?.length ? Buffer.from(req.nextPageToken).toString('utf8') : undefined;
    const result = await store.listVisibility(namespaceId, filter, {
      pageSize: size > 0 && size <= MAX_PAGE_SIZE ? size : MAX_PAGE_SIZE,
      ...(pageToken === undefined ? {} : { pageToken }),
    });
    return {
      executions: result.items.map(executionInfo),
      nextPageToken: result.nextPageToken ? Buffer.from(result.nextPageToken, 'utf8') : Buffer.alloc(0),
    };
  }

  /** The workflow id or type filter of a legacy list (Temporal takes one of them, the id first). */
  function legacyFilter(req: LegacyListRequest): VisibilityFilter {
    if (req.executionFilter) return { workflowId: v.requireWorkflowId(req.executionFilter.workflowId) };
    if (req.typeFilter) return { workflowType: v.requireTypeName(req.typeFilter, 'TypeFilter.Name') };
    return {};
  }

  return {
    ListWorkflowExecutions: list,

    /** Running workflows started within the window, newest first (the list before the query language). */
    async ListOpenWorkflowExecutions(req: Req<'ListOpenWorkflowExecutionsRequest'>) {
      const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
      const { from, to } = legacyWindow(req);
      return page(
        namespace.id,
        {
          ...legacyFilter(req),
          status: RUNNING,
          ...(from === undefined ? {} : { startTimeFrom: from }),
          ...(to === undefined ? {} : { startTimeTo: to }),
        },
        req,
      );
    },

    /**
     * Closed workflows whose close time is within the window (the window is named a start-time filter in the API,
     * but for closed runs Temporal's SQL visibility applies it to the close time), newest close first; optionally of
     * one closing status.
     */
    async ListClosedWorkflowExecutions(req: Req<'ListClosedWorkflowExecutionsRequest'>) {
      const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
      const { from, to } = legacyWindow(req);
      const status = req.executionFilter || req.typeFilter ? undefined : req.statusFilter?.status;
      if (req.statusFilter && status !== undefined) {
        v.enumValue(status, temporal.api.enums.v1.WorkflowExecutionStatus, 'StatusFilter.Status');
        if (!status || status === RUNNING) {
          throw ServiceError.invalidArgument(
            'StatusFilter must name a closed status, not Running or Unspecified.',
          );
        }
      }
      return page(
        namespace.id,
        {
          ...legacyFilter(req),
          ...(status ? { status } : {}),
          condition: {
            op: '!=',
            attribute: { system: 'ExecutionStatus' },
            value: RUNNING,
          },
          ...(from === undefined ? {} : { closeTimeFrom: from }),
          ...(to === undefined ? {} : { closeTimeTo: to }),
        },
        req,
      );
    },

    /** Odin keeps no archive (closed runs are deleted after retention), so like Temporal without archival configured. */
    async ListArchivedWorkflowExecutions(req: Req<'ListArchivedWorkflowExecutionsRequest'>) {
      v.requireNamespace(req.namespace);
      v.pageSize(req.pageSize);
      throw ServiceError.failedPrecondition('Cluster is not configured for visibility archival.');
    },

    async ScanWorkflowExecutions(req: Req<'ScanWorkflowExecutionsRequest'>) {
      return list(req);
    },

    async CountWorkflowExecutions(req: Req<'CountWorkflowExecutionsRequest'>) {
      const namespace = await namespaces.resolve(v.requireNamespace(req.namespace));
      const query = await resolve(namespace, req.query, true);
      if (query.groupBy === undefined) {
        return { count: await store.countVisibility(namespace.id, filterOf(query)), groups: [] };
      }
      const groups = await store.countVisibilityByStatus(namespace.id, filterOf(query));
      return {
        count: groups.reduce((sum, g) => sum + g.count, 0),
        groups: groups.map((g) => ({
          groupValues: [
            encodeSearchAttributePayload({
              type: 'Keyword',
              value: STATUS_NAMES[g.status] ?? String(g.status),
            }),
          ],
          count: g.count,
        })),
      };
    },

    /**
     * The request names no namespace: the system and predefined attributes, and the custom ones of every namespace
     * (where namespaces registered one name with different types, the first namespace's type, by id).
     */
    async GetSearchAttributes() {
      const keys: Record<string, number> = {};
      for (const d of await ctx.store.searchAttributes.listAllSearchAttributes()) {
        keys[d.name] ??= INDEXED_VALUE_TYPES[d.type];
      }
      return { keys: { ...keys, ...BUILT_IN_SEARCH_ATTRIBUTES } };
    },
  };
}
