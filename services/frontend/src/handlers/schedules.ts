import type { SchedulerApi } from '@odin/api';
import type { FrontendDeps, HandlerMap, Req, RpcCall } from '../handler-types.js';
import { checkStartSearchAttributes } from '../start-search-attributes.js';
import * as v from '../validate.js';

// Schedule RPCs: validate what the frontend knows (namespace, identities, search attributes against the
// namespace's registry), then hand to the schedule service of the system worker, which owns the rest.

type WithScheduleAttributes = Req<'CreateScheduleRequest'> | Req<'UpdateScheduleRequest'>;

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

  return {
    async CreateSchedule(req: Req<'CreateScheduleRequest'>, call: RpcCall) {
      v.optionalIdentity(req.identity);
      v.optionalRequestId(req.requestId);
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
      return api.listSchedules(await ns(req.namespace), req, call);
    },
    async CountSchedules(req: Req<'CountSchedulesRequest'>, call: RpcCall) {
      return api.countSchedules(await ns(req.namespace), req, call);
    },
  };
}
