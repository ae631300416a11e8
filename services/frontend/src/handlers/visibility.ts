import { msToDuration, msToTimestamp, type NamespaceRef, temporal } from '@odin/api';
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

  return {
    ListWorkflowExecutions: list,

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
