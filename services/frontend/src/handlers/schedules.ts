import type { SchedulerApi } from '@odin/api';
import type { FrontendDeps, HandlerMap, Req, RpcCall } from '../handler-types.js';
import { checkStartSearchAttributes } from '../start-search-attributes.js';
import { type ScheduleQueryEntry, scheduleQueryFilter } from '../schedule-query.js';
import * as v from '../validate.js';

/** Schedules a filtered list or count looks at, at most (the filter runs in memory over all of them). */
const MAX_FILTERED_SCHEDULES = 10_000;

interface ListedSchedule {
  scheduleId?: string | null;
  searchAttributes?: { indexedFields?: Record<string, { data?: Uint8Array | null }> | null } | null;
  info?: { paused?: boolean | null } | null;
}

const decoder = new TextDecoder();

function queryEntry(entry: ListedSchedule): ScheduleQueryEntry {
  const searchAttributes: Record<string, unknown> = {};
  for (const [name, payload] of Object.entries(entry.searchAttributes?.indexedFields ?? {})) {
    try {
      searchAttributes[name] = JSON.parse(decoder.decode(payload.data ?? new Uint8Array()));
    } catch {
      // A value that is not JSON matches nothing.
    }
  }
  return { scheduleId: entry.scheduleId ?? '', paused: entry.info?.paused === true, searchAttributes };
}

// Schedule RPCs: validate what the frontend knows (namespace, identities, search attributes against the
// namespace's registry), then hand to the schedule service of the system worker, which owns the rest.

type WithScheduleAttributes = Req<'CreateScheduleRequest'> | Req<'UpdateScheduleRequest'>;

/** The action's workflow gets the checks a start gets, when the schedule is written rather than at each action. */
function checkAction(req: WithScheduleAttributes): void {
  const start = req.schedule?.action?.startWorkflow;
  if (!start) throw v.invalid('Schedule action is not set: a schedule needs a start_workflow action.');
  v.requireWorkflowId(start.workflowId);
  v.requireTypeName(start.workflowType, 'WorkflowType');
  v.requireTaskQueue(start.taskQueue);
  v.nonNegativeDuration(start.workflowExecutionTimeout, 'WorkflowExecutionTimeout');
  v.nonNegativeDuration(start.workflowRunTimeout, 'WorkflowRunTimeout');
  v.nonNegativeDuration(start.workflowTaskTimeout, 'WorkflowTaskTimeout');
  v.retryPolicy(start.retryPolicy);
}

async function checkScheduleSearchAttributes(
  deps: FrontendDeps,
  namespace: { id: string; name: string },
  req: WithScheduleAttributes,
): Promise<void> {
  await checkStartSearchAttributes(deps.searchAttributes, namespace, req);
  const start = req.schedule?.action?.startWorkflow;
  if (start) await checkStartSearchAttributes(deps.searchAttributes, namespace, start);
}

export function scheduleHandlers(deps: FrontendDeps, api: SchedulerApi): HandlerMap {
  const { namespaces } = deps;
  const ns = (name: string | null | undefined) => namespaces.resolve(v.requireNamespace(name));

  /** Every schedule of the namespace the query matches, in one page. */
  const filtered = async (
    namespace: { id: string; name: string },
    query: string,
    call: RpcCall,
  ): Promise<ListedSchedule[]> => {
    const filter = scheduleQueryFilter(query);
    const out: ListedSchedule[] = [];
    let nextPageToken: Uint8Array | undefined;
    let seen = 0;
    do {
      const page = (await api.listSchedules(
        namespace,
        { namespace: namespace.name, maximumPageSize: 1000, nextPageToken: nextPageToken ?? null },
        call,
      )) as { schedules?: ListedSchedule[]; nextPageToken?: Uint8Array };
      for (const entry of page.schedules ?? []) if (filter(queryEntry(entry))) out.push(entry);
      seen += page.schedules?.length ?? 0;
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken && seen < MAX_FILTERED_SCHEDULES);
    return out;
  };

  return {
    async CreateSchedule(req: Req<'CreateScheduleRequest'>, call: RpcCall) {
      v.optionalIdentity(req.identity);
      v.optionalRequestId(req.requestId);
      checkAction(req);
      const namespace = await ns(req.namespace);
      await checkScheduleSearchAttributes(deps, namespace, req);
      return api.createSchedule(namespace, req, call);
    },
    async DescribeSchedule(req: Req<'DescribeScheduleRequest'>, call: RpcCall) {
      return api.describeSchedule(await ns(req.namespace), req, call);
    },
    async UpdateSchedule(req: Req<'UpdateScheduleRequest'>, call: RpcCall) {
      v.optionalIdentity(req.identity);
      v.optionalRequestId(req.requestId);
      checkAction(req);
      const namespace = await ns(req.namespace);
      await checkScheduleSearchAttributes(deps, namespace, req);
      return api.updateSchedule(namespace, req, call);
    },
    async PatchSchedule(req: Req<'PatchScheduleRequest'>, call: RpcCall) {
      v.optionalIdentity(req.identity);
      v.optionalRequestId(req.requestId);
      return api.patchSchedule(await ns(req.namespace), req, call);
    },
    async ListScheduleMatchingTimes(req: Req<'ListScheduleMatchingTimesRequest'>, call: RpcCall) {
      return api.listScheduleMatchingTimes(await ns(req.namespace), req, call);
    },
    async DeleteSchedule(req: Req<'DeleteScheduleRequest'>, call: RpcCall) {
      v.optionalIdentity(req.identity);
      return api.deleteSchedule(await ns(req.namespace), req, call);
    },
    async ListSchedules(req: Req<'ListSchedulesRequest'>, call: RpcCall) {
      v.pageSize(req.maximumPageSize, 'MaximumPageSize');
      const namespace = await ns(req.namespace);
      if (!req.query?.trim()) return api.listSchedules(namespace, req, call);
      return { schedules: await filtered(namespace, req.query, call) };
    },
    async CountSchedules(req: Req<'CountSchedulesRequest'>, call: RpcCall) {
      const namespace = await ns(req.namespace);
      if (!req.query?.trim()) return api.countSchedules(namespace, req, call);
      return { count: (await filtered(namespace, req.query, call)).length };
    },
  };
}
