import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type NamespaceRef, temporal } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { silentLogger } from '@odin/runtime';
import type { temporal as T } from '@temporalio/proto';
import type { ScheduleWorkflows, WorkflowRef } from '../src/schedules/processor.js';
import { ScheduleRunner } from '../src/schedules/runner.js';
import { ScheduleService } from '../src/schedules/service.js';

const Overlap = temporal.api.enums.v1.ScheduleOverlapPolicy;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const MINUTE = 60_000;
type StartRequest = T.api.workflowservice.v1.IStartWorkflowExecutionRequest;
const ctx = { signal: new AbortController().signal };
const ns: NamespaceRef = { id: 'ns-id', name: 'ns' };

/** Workflows in memory: a start with a request id seen before returns the same run, as history does. */
class FakeWorkflows implements ScheduleWorkflows {
  readonly runs = new Map<
    string,
    {
      workflowId: string;
      status: number;
      requestId: string;
      startedAt: number;
      request: StartRequest;
      result?: T.api.common.v1.IPayloads;
      failure?: T.api.failure.v1.IFailure;
    }
  >();
  readonly byRequest = new Map<string, string>();
  readonly cancelled: string[] = [];
  private seq = 0;
  constructor(private readonly clock: VirtualClock) {}

  async start(_namespace: string, request: StartRequest) {
    const known = this.byRequest.get(request.requestId ?? '');
    if (known) return known;
    const runId = `run-${++this.seq}`;
    this.runs.set(runId, {
      workflowId: request.workflowId ?? '',
      status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
      requestId: request.requestId ?? '',
      startedAt: this.clock.now(),
      request,
    });
    this.byRequest.set(request.requestId ?? '', runId);
    return runId;
  }
  async status(_namespace: string, execution: WorkflowRef, _signal: AbortSignal, withOutcome?: boolean) {
    const run = this.runs.get(execution.runId);
    if (!run) return undefined;
    return withOutcome
      ? { status: run.status, result: run.result, failure: run.failure }
      : { status: run.status };
  }
  async requestCancel(_namespace: string, execution: WorkflowRef) {
    this.cancelled.push(execution.runId);
  }
  async terminate(_namespace: string, execution: WorkflowRef) {
    const run = this.runs.get(execution.runId);
    if (run) run.status = Status.WORKFLOW_EXECUTION_STATUS_TERMINATED;
  }
  close(
    runId: string,
    status: number = Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    outcome: { result?: string; failure?: string } = {},
  ) {
    const run = this.runs.get(runId);
    if (!run) return;
    run.status = status;
    if (outcome.result !== undefined) run.result = { payloads: [{ data: Buffer.from(outcome.result) }] };
    if (outcome.failure !== undefined) run.failure = { message: outcome.failure };
  }
  get running(): string[] {
    return [...this.runs.entries()]
      .filter(([, r]) => r.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING)
      .map(([id]) => id);
  }
}

let store: PersistenceStore;
let clock: VirtualClock;
let workflows: FakeWorkflows;
let service: ScheduleService;
let runner: ScheduleRunner;
let counter = 0;

before(async () => {
  store = await openStore({ url: 'sqlite::memory:', migrate: true, clock: new VirtualClock() });
  await store.namespaces.createNamespace({
    id: ns.id,
    name: ns.name,
    state: 1,
    description: '',
    ownerEmail: '',
    retentionMs: 0,
    createdAt: 0,
    updatedAt: 0,
  });
});

after(async () => {
  await store.close();
});

beforeEach(async () => {
  // Each test starts with no schedule (the store is shared; the clock starts again at the same time).
  for (const s of (await store.schedules.listSchedules(ns.id, { pageSize: 1000 })).items)
    await store.schedules.deleteSchedule(ns.id, s.scheduleId);
  clock = new VirtualClock(Date.UTC(2026, 0, 1));
  workflows = new FakeWorkflows(clock);
  service = new ScheduleService({ store, clock });
  runner = new ScheduleRunner({ store, clock, logger: silentLogger(), workflows });
});

interface Options {
  everyMs?: number;
  overlap?: number;
  paused?: boolean;
  catchupMs?: number;
  limited?: number;
  pauseOnFailure?: boolean;
}

async function create(options: Options = {}): Promise<string> {
  const scheduleId = `s-${++counter}`;
  await service.createSchedule(
    ns,
    {
      namespace: ns.name,
      scheduleId,
      schedule: {
        spec: { interval: [{ interval: { seconds: (options.everyMs ?? 24 * 60 * MINUTE) / 1000 } }] },
        action: {
          startWorkflow: { workflowId: 'wf', workflowType: { name: 'T' }, taskQueue: { name: 'q' } },
        },
        policies: {
          overlapPolicy: options.overlap ?? 0,
          ...(options.catchupMs ? { catchupWindow: { seconds: options.catchupMs / 1000 } } : {}),
          pauseOnFailure: options.pauseOnFailure ?? false,
        },
        state: {
          paused: options.paused ?? false,
          ...(options.limited === undefined
            ? {}
            : { limitedActions: true, remainingActions: options.limited }),
        },
      },
    } as never,
    ctx,
  );
  return scheduleId;
}

async function info(scheduleId: string) {
  return (await service.describeSchedule(ns, { namespace: ns.name, scheduleId }, ctx)) as {
    schedule: { state: { paused: boolean; notes: string; remainingActions: unknown } };
    info: {
      actionCount: number;
      overlapSkipped: number;
      bufferDropped: number;
      bufferSize: number;
      missedCatchupWindow: number;
      runningWorkflows: { workflowId: string; runId: string }[];
      recentActions: { startWorkflowResult: { workflowId: string } }[];
      futureActionTimes: unknown[];
    };
  };
}

async function trigger(scheduleId: string, overlap = 0) {
  await service.patchSchedule(
    ns,
    { namespace: ns.name, scheduleId, patch: { triggerImmediately: { overlapPolicy: overlap } } },
    ctx,
  );
}

/** Moves the clock and lets the runner take everything now due. */
async function step(ms: number) {
  await clock.advance(ms);
  await runner.runDue();
}

describe('schedule runner', () => {
  test('an interval fires at its times; each start names the nominal time in its workflow id', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL });
    await step(30_000);
    assert.equal(workflows.runs.size, 0);
    await step(30_000);
    assert.deepEqual(
      [...workflows.runs.values()].map((r) => r.workflowId),
      ['wf-2026-01-01T00:01:00Z'],
    );
    await step(2 * MINUTE);
    const d = await info(id);
    assert.equal(d.info.actionCount, 3);
    // Runs started under ALLOW_ALL are not tracked, as in Temporal's scheduler.
    assert.equal(d.info.runningWorkflows.length, 0);
    assert.equal(d.info.futureActionTimes.length, 10);
  });

  test('a run started under ALLOW_ALL does not block a SKIP start, nor is it ended by TERMINATE_OTHER', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP, paused: true });
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
    await step(1_000);
    const beside = workflows.running[0]!;
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    await step(1_000);
    let d = await info(id);
    assert.equal(d.info.actionCount, 2);
    assert.equal(d.info.overlapSkipped, 0);
    assert.deepEqual(
      d.info.runningWorkflows.map((r) => r.runId),
      workflows.running.filter((r) => r !== beside),
    );
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER);
    await step(1_000);
    d = await info(id);
    assert.equal(d.info.actionCount, 3);
    assert.equal(workflows.runs.get(beside)?.status, Status.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assert.equal(workflows.running.length, 2);
  });

  test('ALLOW_ALL starts of a pass that ends the open runs are dropped, as Temporal drops them', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP, paused: true });
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    await step(1_000);
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER);
    await step(1_000);
    const d = await info(id);
    assert.equal(d.info.actionCount, 2, 'the first run and the replacing one');
    assert.equal(workflows.running.length, 1);
  });

  test('SKIP drops a start while a run is open', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP });
    await step(MINUTE);
    await step(MINUTE);
    const d = await info(id);
    assert.equal(d.info.actionCount, 1);
    assert.equal(d.info.overlapSkipped, 1);
  });

  test('BUFFER_ONE keeps one start until the run closes and drops the others', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE });
    await step(MINUTE);
    await step(MINUTE);
    await step(MINUTE);
    let d = await info(id);
    assert.equal(d.info.bufferSize, 1);
    // Temporal counts the dropped one as skipped for overlap, not as a buffer overrun.
    assert.equal(d.info.overlapSkipped, 1);
    assert.equal(d.info.bufferDropped, 0);
    workflows.close(workflows.running[0]!);
    await step(1_000);
    d = await info(id);
    assert.equal(d.info.actionCount, 2);
    assert.equal(d.info.bufferSize, 0);
  });

  test('BUFFER_ALL runs every buffered start, one after the other', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL });
    await step(MINUTE);
    await step(MINUTE);
    await step(MINUTE);
    assert.equal((await info(id)).info.bufferSize, 2);
    workflows.close(workflows.running[0]!);
    await step(1_000);
    assert.equal(workflows.running.length, 1);
    workflows.close(workflows.running[0]!);
    await step(1_000);
    const d = await info(id);
    assert.equal(d.info.actionCount, 3);
    assert.equal(d.info.bufferSize, 0);
  });

  test('CANCEL_OTHER asks the open run to cancel and starts once it closed', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER });
    await step(MINUTE);
    const first = workflows.running[0]!;
    await step(MINUTE);
    assert.deepEqual(workflows.cancelled, [first]);
    assert.equal((await info(id)).info.actionCount, 1);
    workflows.close(first, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    await step(1_000);
    assert.equal((await info(id)).info.actionCount, 2);
  });

  test('TERMINATE_OTHER ends the open run and starts at once; ALLOW_ALL starts beside it', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER });
    await step(MINUTE);
    const first = workflows.running[0]!;
    await step(MINUTE);
    assert.equal(workflows.runs.get(first)?.status, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    assert.equal(workflows.running.length, 1);
    assert.equal((await info(id)).info.actionCount, 2);
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
    await step(1_000);
    assert.equal(workflows.running.length, 2);
  });

  for (const [name, overlap] of [
    ['CANCEL_OTHER', Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER],
    ['TERMINATE_OTHER', Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER],
  ] as const) {
    test(`${name} with nothing open: the last start of a pass replaces the one it would start`, async () => {
      const id = await create({ everyMs: MINUTE, overlap });
      await step(3 * MINUTE);
      const d = await info(id);
      assert.equal(d.info.actionCount, 1);
      assert.deepEqual(
        [...workflows.runs.values()].map((r) => r.workflowId),
        ['wf-2026-01-01T00:03:00Z'],
      );
      assert.deepEqual(workflows.cancelled, []);
      assert.equal(workflows.running.length, 1);
      assert.equal(d.info.bufferSize, 0);
      assert.equal(d.info.overlapSkipped, 0);
      assert.equal(d.info.bufferDropped, 0);
    });
  }

  test('CANCEL_OTHER keeps every start in the buffer while the run is open; the last one runs after', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER });
    await step(MINUTE);
    const first = workflows.running[0]!;
    await step(2 * MINUTE);
    let d = await info(id);
    assert.deepEqual(workflows.cancelled, [first]);
    assert.equal(d.info.bufferSize, 2);
    assert.equal(d.info.bufferDropped, 0);
    assert.equal(d.info.overlapSkipped, 0);
    workflows.close(first, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    await step(1_000);
    d = await info(id);
    assert.equal(d.info.actionCount, 2);
    assert.equal(d.info.bufferSize, 0);
    assert.deepEqual(
      [...workflows.runs.values()].map((r) => r.workflowId),
      ['wf-2026-01-01T00:01:00Z', 'wf-2026-01-01T00:03:00Z'],
    );
    assert.equal(d.info.bufferDropped, 0);
  });

  test('TERMINATE_OTHER keeps every start of the pass, ends the open run and starts the last one', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER });
    await step(MINUTE);
    const first = workflows.running[0]!;
    await step(2 * MINUTE);
    const d = await info(id);
    assert.equal(workflows.runs.get(first)?.status, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    assert.deepEqual(
      workflows.running.map((r) => workflows.runs.get(r)?.workflowId),
      ['wf-2026-01-01T00:03:00Z'],
    );
    assert.equal(d.info.actionCount, 2);
    assert.equal(d.info.bufferSize, 0);
    assert.equal(d.info.bufferDropped, 0);
    assert.equal(d.info.overlapSkipped, 0);
  });

  test('a BUFFER_ALL start kept before a CANCEL_OTHER one stays in the buffer; then the later one replaces it', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP, paused: true });
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    await step(1_000);
    const first = workflows.running[0]!;
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL);
    await clock.advance(1_000);
    await trigger(id, Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER);
    await step(1_000);
    let d = await info(id);
    assert.deepEqual(workflows.cancelled, [first]);
    assert.equal(d.info.bufferSize, 2);
    assert.equal(d.info.bufferDropped, 0);
    workflows.close(first, Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    await step(1_000);
    d = await info(id);
    // As Temporal's ProcessBuffer: with nothing open the BUFFER_ALL start is the one to run, and the
    // CANCEL_OTHER start after it takes its place.
    assert.equal(d.info.actionCount, 2);
    assert.equal(d.info.bufferSize, 0);
    assert.equal(workflows.runs.size, 2);
  });

  test('times older than the catch-up window are missed, the recent one runs', async () => {
    const id = await create({
      everyMs: MINUTE,
      overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
      catchupMs: 90_000,
    });
    await clock.advance(5 * MINUTE);
    await runner.runDue();
    const d = await info(id);
    assert.equal(d.info.missedCatchupWindow, 3);
    assert.equal(d.info.actionCount, 2);
  });

  test('a paused schedule takes no scheduled action but a trigger runs; unpause does not catch up', async () => {
    const id = await create({
      everyMs: MINUTE,
      paused: true,
      overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
    });
    await step(3 * MINUTE);
    assert.equal(workflows.runs.size, 0);
    await trigger(id);
    await runner.runDue();
    assert.equal(workflows.runs.size, 1);
    await step(MINUTE / 2);
    await service.patchSchedule(ns, { namespace: ns.name, scheduleId: id, patch: { unpause: 'go' } }, ctx);
    await runner.runDue();
    assert.equal(workflows.runs.size, 1);
    await step(MINUTE / 2);
    assert.equal(workflows.runs.size, 2);
    assert.equal((await info(id)).schedule.state.notes, 'go');
  });

  test('limited actions: the schedule stops after its remaining actions; triggers do not count', async () => {
    const id = await create({
      everyMs: MINUTE,
      limited: 2,
      overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
    });
    await trigger(id);
    await runner.runDue();
    for (let i = 0; i < 4; i++) await step(MINUTE);
    const d = await info(id);
    assert.equal(d.info.actionCount, 3);
    assert.equal(Number(d.schedule.state.remainingActions), 0);
    assert.deepEqual(d.info.futureActionTimes, []);
  });

  test('pause on failure pauses the schedule when a started run fails', async () => {
    // Not under ALLOW_ALL: such runs are not followed, so their failure pauses nothing (as in Temporal).
    const id = await create({
      everyMs: MINUTE,
      overlap: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
      pauseOnFailure: true,
    });
    await step(MINUTE);
    workflows.close(workflows.running[0]!, Status.WORKFLOW_EXECUTION_STATUS_FAILED);
    await step(5_000);
    const d = await info(id);
    assert.equal(d.schedule.state.paused, true);
    assert.match(d.schedule.state.notes, /^paused due to workflow failure: wf-2026-01-01T00:01:00Z: /);
    await step(5 * MINUTE);
    assert.deepEqual(
      [...workflows.runs.values()].map((r) => r.workflowId),
      ['wf-2026-01-01T00:01:00Z'],
    );
  });

  test('each start gets the last completion result and failure; ALLOW_ALL runs take no part', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP, paused: true });
    const carried = (runId: string) => {
      const request = workflows.runs.get(runId)!.request;
      const result = request.lastCompletionResult?.payloads?.[0]?.data;
      return {
        result: result ? Buffer.from(result).toString() : undefined,
        failure: request.continuedFailure?.message ?? undefined,
      };
    };
    const runOnce = async (overlap = 0) => {
      await trigger(id, overlap);
      await step(1_000);
      const runId = workflows.running.at(-1)!;
      return runId;
    };
    const first = await runOnce(Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    assert.deepEqual(carried(first), { result: undefined, failure: undefined });
    workflows.close(first, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, { result: '1' });
    const second = await runOnce(Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE);
    assert.deepEqual(carried(second), { result: '1', failure: undefined });
    workflows.close(second, Status.WORKFLOW_EXECUTION_STATUS_FAILED, { failure: 'boom' });
    // A failure keeps the last result; a run that was terminated changes nothing.
    const third = await runOnce(Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    assert.deepEqual(carried(third), { result: '1', failure: 'boom' });
    workflows.close(third, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    const fourth = await runOnce(Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    assert.deepEqual(carried(fourth), { result: '1', failure: 'boom' });
    workflows.close(fourth, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, { result: '2' });
    // ALLOW_ALL: the run gets nothing and its own result is not handed on.
    const beside = await runOnce(Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL);
    assert.deepEqual(carried(beside), { result: undefined, failure: undefined });
    workflows.close(beside, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED, { result: '99' });
    await step(MINUTE);
    const sixth = await runOnce(Overlap.SCHEDULE_OVERLAP_POLICY_SKIP);
    assert.deepEqual(carried(sixth), { result: '2', failure: undefined });
  });

  test('backfill starts every time of the range, also while paused; a pass that runs again starts nothing twice', async () => {
    const id = await create({ everyMs: MINUTE, paused: true, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_SKIP });
    const start = Date.UTC(2025, 5, 1, 10, 0);
    await service.patchSchedule(
      ns,
      {
        namespace: ns.name,
        scheduleId: id,
        patch: {
          backfillRequest: [
            {
              startTime: { seconds: start / 1000 },
              endTime: { seconds: (start + 2 * MINUTE) / 1000 },
              overlapPolicy: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
            },
          ],
        },
      } as never,
      ctx,
    );
    const before = await store.schedules.getSchedule(ns.id, id);
    await runner.runDue();
    assert.equal(workflows.runs.size, 3);
    // The same pass again from the row as it was (a lost write): deduplicated by request id.
    await store.schedules.updateSchedule(
      { ...before!, updatedAt: clock.now() },
      (await store.schedules.getSchedule(ns.id, id))!.version,
    );
    await runner.runDue();
    assert.equal(workflows.runs.size, 3);
    assert.ok([...workflows.runs.values()].some((r) => r.workflowId === 'wf-2025-06-01T10:01:00Z'));
  });

  test('the conflict token changes with updates and patches, not with the runner’s passes', async () => {
    const id = await create({ everyMs: MINUTE, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL });
    const token = async () =>
      (
        (await service.describeSchedule(ns, { namespace: ns.name, scheduleId: id }, ctx)) as {
          conflictToken: Uint8Array;
        }
      ).conflictToken;
    const first = await token();
    await step(MINUTE);
    await step(MINUTE);
    assert.deepEqual(await token(), first);
    const schedule = (await service.describeSchedule(ns, { namespace: ns.name, scheduleId: id }, ctx)) as {
      schedule: object;
    };
    await service.updateSchedule(
      ns,
      { namespace: ns.name, scheduleId: id, schedule: schedule.schedule, conflictToken: first } as never,
      ctx,
    );
    assert.notDeepEqual(await token(), first);
    await assert.rejects(
      service.updateSchedule(
        ns,
        { namespace: ns.name, scheduleId: id, schedule: schedule.schedule, conflictToken: first } as never,
        ctx,
      ),
      (e: { code?: number }) => e.code === 9,
    );
  });

  test('a bad spec or a taken id is refused; an absent schedule is NOT_FOUND', async () => {
    await assert.rejects(
      service.createSchedule(
        ns,
        {
          namespace: ns.name,
          scheduleId: 'bad',
          schedule: {
            spec: { cronString: ['61 * * * *'] },
            action: {
              startWorkflow: { workflowId: 'w', workflowType: { name: 'T' }, taskQueue: { name: 'q' } },
            },
          },
        },
        ctx,
      ),
      (e: { code?: number }) => e.code === 3,
    );
    const id = await create();
    await assert.rejects(
      create().then(() =>
        service.createSchedule(
          ns,
          {
            namespace: ns.name,
            scheduleId: id,
            schedule: {
              action: {
                startWorkflow: { workflowId: 'w', workflowType: { name: 'T' }, taskQueue: { name: 'q' } },
              },
            },
          },
          ctx,
        ),
      ),
      (e: { code?: number }) => e.code === 6,
    );
    await assert.rejects(info('absent'), (e: { code?: number }) => e.code === 5);
  });
});
