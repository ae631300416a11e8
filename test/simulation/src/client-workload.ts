import { temporal } from '@odin/api/public';
import type { VirtualClock } from '@odin/hugo';
import { defaultPayloadConverter, fromPayloads, toPayloads, type WorkflowClient } from '@odin/sdk';
import type { NodeClock } from './node-clock.js';
import type { SimConnection } from './sim-connection.js';
import type { Trace } from './trace.js';
import { NAMESPACE, TASK_QUEUE } from './workers.js';
import { CLIENT_NODE, type Scenario, type ScheduleSpec } from './workload.js';

const ALLOW_ALL = temporal.api.enums.v1.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL;

/** When the client first sent a schedule call and when one of its attempts succeeded (virtual clock, ms). */
export interface ScheduleCallTimes {
  createSentAt?: number;
  createdAt?: number;
  pauseSentAt?: number;
  pausedAt?: number;
}

const UPDATE_STAGE_COMPLETED = 3;
/** gRPC codes an update call is asked again after: CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, UNAVAILABLE. */
const UPDATE_RETRIED: ReadonlySet<number> = new Set([1, 4, 8, 9, 14]);
const NOT_FOUND = 5;

export interface ClientDeps {
  readonly base: VirtualClock;
  readonly clock: NodeClock;
  readonly connection: SimConnection;
  readonly client: WorkflowClient;
  readonly trace: Trace;
}

/**
 * Schedules what the client does to each workflow at its time: start, signals, updates, cancel, terminate. Every
 * call is asked again until it succeeds, with fixed request ids (deduplicated by the server), so the workload happens
 * whatever the faults. Returns every update's final answer by update id (undefined while still asking).
 */
export function scheduleClientWorkload(
  deps: ClientDeps,
  scenario: Scenario,
): { updateOutcomes: Map<string, string | undefined>; scheduleTimes: Map<string, ScheduleCallTimes> } {
  const { base, clock, connection, client, trace } = deps;
  const at = (ms: number, fn: () => void) => base.setTimer(ms, fn);
  const persist = (what: string, call: () => Promise<unknown>, ok?: () => void) => {
    const attempt = async (n: number): Promise<void> => {
      try {
        await call();
        ok?.();
        trace.add(base.now(), `client ${what} ok`);
      } catch (error) {
        trace.add(base.now(), `client ${what} attempt ${n} failed: ${(error as Error).message}`);
        await clock.sleep(2_000);
        await attempt(n + 1);
      }
    };
    void attempt(1);
  };

  const updateOutcomes = new Map<string, string | undefined>();
  /** `key` names this sending (the update id, with " again" for the second sending of the same id). */
  const sendUpdate = (workflowId: string, updateId: string, key: string, value: number | undefined) => {
    updateOutcomes.set(key, undefined);
    const input =
      value === undefined
        ? { name: 'unknown', args: null }
        : { name: 'bump', args: toPayloads(defaultPayloadConverter, [value]) ?? null };
    const ask = async (attempt: number): Promise<void> => {
      try {
        const response = await connection.call(
          'updateWorkflowExecution',
          {
            namespace: NAMESPACE,
            workflowExecution: { workflowId, runId: '' },
            waitPolicy: { lifecycleStage: UPDATE_STAGE_COMPLETED },
            request: {
              meta: { updateId, identity: CLIENT_NODE },
              input,
            },
          },
          { timeoutMs: 30_000 },
        );
        const outcome = (
          response as {
            outcome?: { success?: Parameters<typeof fromPayloads>[1]; failure?: { message?: string } };
          }
        ).outcome;
        if (outcome?.failure) updateOutcomes.set(key, `rejected: ${outcome.failure.message}`);
        else if (outcome?.success)
          updateOutcomes.set(
            key,
            `completed ${JSON.stringify(fromPayloads(defaultPayloadConverter, outcome.success)[0])}`,
          );
        else throw Object.assign(new Error('no outcome yet'), { code: 4 });
      } catch (error) {
        const code = (error as { code?: number }).code ?? 0;
        // An update the workflow accepts cannot find it closed (it waits for the update), only not started yet:
        // the start may still be being retried.
        if (code === NOT_FOUND && !(value !== undefined && value >= 1)) {
          updateOutcomes.set(key, 'not found');
          return;
        }
        if (!UPDATE_RETRIED.has(code) && code !== NOT_FOUND) {
          updateOutcomes.set(key, `error ${code}: ${(error as Error).message}`);
          return;
        }
        trace.add(base.now(), `client update ${key} attempt ${attempt}: ${code}`);
        await clock.sleep(1_000);
        await ask(attempt + 1);
      }
    };
    void ask(1);
  };

  const execution = (workflowId: string) => ({ workflowId, runId: '' });
  for (const spec of scenario.workflows) {
    (spec.updates ?? []).forEach((update, i) => {
      const updateId = updateIdOf(spec.workflowId, i);
      at(update.atMs, () => sendUpdate(spec.workflowId, updateId, updateId, update.value));
      if (update.againAtMs !== undefined) {
        const again = update.againAtMs;
        at(again, () => sendUpdate(spec.workflowId, updateId, `${updateId} again`, update.value));
      }
    });
    at(spec.startAtMs, () =>
      persist(`start ${spec.workflowId}`, () =>
        client.start(spec.type, {
          workflowId: spec.workflowId,
          taskQueue: TASK_QUEUE,
          args: spec.type === 'planned' ? [spec.plan] : [spec.base, spec.inActivity ?? false],
          requestId: `${spec.workflowId}-start`,
        }),
      ),
    );
    spec.signals.forEach((signal, i) => {
      at(signal.atMs, () =>
        persist(`signal ${spec.workflowId} #${i}`, () =>
          connection.call('signalWorkflowExecution', {
            namespace: NAMESPACE,
            workflowExecution: execution(spec.workflowId),
            signalName: 'add',
            input: toPayloads(defaultPayloadConverter, [signal.value]) ?? null,
            identity: CLIENT_NODE,
            requestId: `${spec.workflowId}-signal-${i}`,
          }),
        ),
      );
    });
    if (spec.terminateAtMs !== undefined) {
      at(spec.terminateAtMs, () =>
        persist(`terminate ${spec.workflowId}`, () =>
          connection.call('terminateWorkflowExecution', {
            namespace: NAMESPACE,
            workflowExecution: execution(spec.workflowId),
            identity: CLIENT_NODE,
            reason: 'simulation',
          }),
        ),
      );
    }
    if (spec.cancelAtMs !== undefined) {
      at(spec.cancelAtMs, () =>
        persist(`cancel ${spec.workflowId}`, () =>
          connection.call('requestCancelWorkflowExecution', {
            namespace: NAMESPACE,
            workflowExecution: execution(spec.workflowId),
            identity: CLIENT_NODE,
            requestId: `${spec.workflowId}-cancel`,
            reason: 'simulation',
          }),
        ),
      );
    }
  }
  const scheduleTimes = new Map<string, ScheduleCallTimes>();
  const origin = base.now();
  for (const schedule of scenario.schedules ?? []) {
    const times: ScheduleCallTimes = {};
    scheduleTimes.set(schedule.scheduleId, times);
    at(schedule.createAtMs, () => {
      times.createSentAt = base.now();
      persist(
        `create schedule ${schedule.scheduleId}`,
        () => connection.call('createSchedule', createScheduleRequest(schedule, origin)),
        () => {
          times.createdAt = base.now();
        },
      );
    });
    if (schedule.pauseAtMs !== undefined) {
      at(schedule.pauseAtMs, () => {
        times.pauseSentAt = base.now();
        persist(
          `pause schedule ${schedule.scheduleId}`,
          () =>
            connection.call('patchSchedule', {
              namespace: NAMESPACE,
              scheduleId: schedule.scheduleId,
              patch: { pause: 'simulation' },
              identity: CLIENT_NODE,
              requestId: `${schedule.scheduleId}-pause`,
            }),
          () => {
            times.pausedAt = base.now();
          },
        );
      });
    }
  }
  return { updateOutcomes, scheduleTimes };
}

/** The schedule's end time on the virtual clock: `origin` is when the scenario began. */
export function scheduleEndTime(schedule: ScheduleSpec, origin: number): number | undefined {
  return schedule.endAtMs === undefined ? undefined : origin + schedule.endAtMs;
}

function createScheduleRequest(schedule: ScheduleSpec, origin: number): object {
  const endTime = scheduleEndTime(schedule, origin);
  return {
    namespace: NAMESPACE,
    scheduleId: schedule.scheduleId,
    schedule: {
      spec: {
        interval: [{ interval: { seconds: schedule.everyMs / 1000 } }],
        ...(endTime === undefined ? {} : { endTime: { seconds: Math.floor(endTime / 1000) } }),
      },
      action: {
        startWorkflow: {
          workflowId: schedule.workflowIdPrefix,
          workflowType: { name: 'tick' },
          taskQueue: { name: TASK_QUEUE },
        },
      },
      policies: { overlapPolicy: ALLOW_ALL },
      state: schedule.createPaused ? { paused: true, notes: 'created paused' } : {},
    },
    identity: CLIENT_NODE,
    requestId: `${schedule.scheduleId}-create`,
  };
}

/** The update id of a workflow's `index`th update. */
export function updateIdOf(workflowId: string, index: number): string {
  return `${workflowId}-update-${index}`;
}

/** When the scenario's last scheduled client step happens (virtual ms from the start). */
export function lastClientStepAt(scenario: Scenario): number {
  return Math.max(
    0,
    ...scenario.workflows.map((w) =>
      Math.max(
        w.startAtMs,
        ...w.signals.map((s) => s.atMs),
        ...(w.updates ?? []).map((u) => Math.max(u.atMs, u.againAtMs ?? 0)),
        w.cancelAtMs ?? 0,
        w.terminateAtMs ?? 0,
      ),
    ),
    ...(scenario.schedules ?? []).map((s) => Math.max(s.createAtMs, s.pauseAtMs ?? 0, s.endAtMs ?? 0)),
  );
}
