// A workflow task scheduled while a poll waits in matching (same process) is started in the scheduling transition
// and handed to that poll after the commit: no transfer task, no add, no record…Started call.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import type {
  NamespaceRef,
  WorkflowPollReservation,
  WorkflowServiceRequest,
  WorkflowServiceResponse,
} from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { DatabaseUnavailableError, openStore, type PersistenceStore } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import {
  cmd,
  complete,
  ctx,
  eventName,
  eventNames,
  FakeMatching,
  NS,
  payloads,
  pollActivityTask,
  pollWorkflowTask,
  settle,
  signal,
  start,
  startHistory,
  startWith,
  TASK_QUEUE,
} from './harness.js';
import type { Harness } from './harness.js';

type PollRequest = WorkflowServiceRequest<'PollWorkflowTaskQueueRequest'>;
type PollResponse = WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>;

const Kind = temporal.api.enums.v1.TaskQueueKind;
const STICKY = 'worker-1-sticky';
const stickyAttributes = {
  workerTaskQueue: { name: STICKY, kind: Kind.TASK_QUEUE_KIND_STICKY, normalName: TASK_QUEUE },
  scheduleToStartTimeout: { seconds: 5 },
} as unknown as T.api.taskqueue.v1.IStickyExecutionAttributes;

/** A poll waiting in the fake matching, and what became of it. */
interface FakePoll {
  readonly request: PollRequest;
  /** Set when history reserved it: `released`, or the response it was given. */
  outcome?: 'reserved' | 'released' | PollResponse;
  /** The poll's call was cancelled: a delivery finds nobody. */
  gone?: boolean;
}

/** Matching with polls that tests put in line; history takes them through `reserveWorkflowPoll`. */
class HandOffMatching extends FakeMatching {
  readonly waiting: FakePoll[] = [];
  readonly reserved: { queue: string; sticky: boolean }[] = [];

  poll(queue: string, kind: number = Kind.TASK_QUEUE_KIND_NORMAL): FakePoll {
    const poll: FakePoll = {
      request: { namespace: NS.name, taskQueue: { name: queue, kind }, identity: 'w1' },
    };
    this.waiting.push(poll);
    return poll;
  }

  reserveWorkflowPoll(
    _ns: NamespaceRef,
    queue: string,
    sticky: boolean,
  ): WorkflowPollReservation | undefined {
    const index = this.waiting.findIndex(
      (p) =>
        p.request.taskQueue?.name === queue &&
        (p.request.taskQueue?.kind === Kind.TASK_QUEUE_KIND_STICKY) === sticky,
    );
    if (index < 0) return undefined;
    const [poll] = this.waiting.splice(index, 1);
    poll!.outcome = 'reserved';
    this.reserved.push({ queue, sticky });
    return {
      pollRequest: poll!.request,
      deliver: (response) => {
        if (poll!.outcome !== 'reserved') throw new Error('delivered twice');
        if (poll!.gone) {
          poll!.outcome = 'released';
          return false;
        }
        poll!.outcome = response;
        return true;
      },
      release: () => {
        if (poll!.outcome !== 'reserved') throw new Error('released after delivery');
        poll!.outcome = 'released';
        this.waiting.unshift(poll!);
      },
    };
  }
}

const COMMITS = new Set([
  'commitShardBatch',
  'commitShardBatches',
  'createWorkflowExecution',
  'updateWorkflowExecution',
]);

/** The store, recording every committed outbox task, and failing every commit while `failCommits` is set. */
function observed(store: PersistenceStore): {
  store: PersistenceStore;
  control: { failCommits: boolean; tasks: { category: string; taskType: string; workflowId: string }[] };
} {
  const control = {
    failCommits: false,
    tasks: [] as { category: string; taskType: string; workflowId: string }[],
  };
  const record = (transition: { tasks: { category: string; taskType: string; workflowId: string }[] }) => {
    for (const t of transition.tasks)
      control.tasks.push({ category: t.category, taskType: t.taskType, workflowId: t.workflowId });
  };
  const executions = new Proxy(store.executions, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      const name = String(property);
      if (typeof value !== 'function' || !COMMITS.has(name)) return value;
      return async (...args: unknown[]) => {
        if (control.failCommits) throw new DatabaseUnavailableError('sqlite::memory:', 'database down');
        const result = await value.apply(target, args);
        if (name === 'commitShardBatches') {
          for (const batch of args[0] as { transitions: Parameters<typeof record>[0][] }[])
            batch.transitions.forEach(record);
        } else if (name === 'commitShardBatch') (args[1] as Parameters<typeof record>[0][]).forEach(record);
        else record(args[1] as Parameters<typeof record>[0]);
        return result;
      };
    },
  });
  return {
    store: new Proxy(store, { get: (t, p, r) => (p === 'executions' ? executions : Reflect.get(t, p, r)) }),
    control,
  };
}

function delivered(poll: FakePoll): PollResponse {
  const outcome = poll.outcome;
  if (typeof outcome !== 'object') throw new Error(`the poll was not answered (${outcome})`);
  return outcome;
}

function names(response: PollResponse): string[] {
  return (response.history?.events ?? []).map((e) => eventName(e.eventType));
}

describe('a workflow task handed to a waiting poll in the transition that schedules it', () => {
  let h: Harness & { matching: HandOffMatching; control: ReturnType<typeof observed>['control'] };
  before(async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const raw = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
    const { store, control } = observed(raw);
    const started = await startHistory(store, clock, new HandOffMatching());
    h = {
      clock,
      store: raw,
      history: started.history,
      matching: started.matching as HandOffMatching,
      control,
      async close() {
        await started.history.stop();
        await raw.close();
      },
    };
  });
  after(async () => {
    await h.close();
  });

  const transferTasks = (workflowId: string, type: string) =>
    h.control.tasks.filter(
      (t) => t.workflowId === workflowId && t.category === 'transfer' && t.taskType === type,
    );

  test('start: no transfer task, the poll gets a task ending with WorkflowTaskStarted, and completes it', async () => {
    const poll = h.matching.poll(TASK_QUEUE);
    const started = await startWith(h, 'h-start');
    // The task is the poll's: the start's answer carries no (eager) copy of it.
    assert.equal(started.eagerWorkflowTask ?? undefined, undefined);
    const task = delivered(poll);
    assert.deepEqual(names(task), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    assert.equal(Number(task.startedEventId), 3);
    assert.equal(task.history?.events?.[2]?.workflowTaskStartedEventAttributes?.identity, 'w1');
    assert.ok(Number(task.history?.events?.[2]?.workflowTaskStartedEventAttributes?.historySizeBytes) > 0);
    assert.deepEqual(transferTasks('h-start', 'workflow-task'), []);
    assert.deepEqual(h.matching.workflowTasks, []);

    // The activity's completion schedules the next task: handed off too.
    await complete(h, task.taskToken, [cmd.activity('a1')]);
    const act = await pollActivityTask(h, 'h-start');
    const second = h.matching.poll(TASK_QUEUE);
    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: act.taskToken, result: payloads('r'), identity: 'w1' },
      ctx(),
    );
    await settle();
    const next = delivered(second);
    assert.equal(names(next).at(-1), 'WORKFLOW_TASK_STARTED');
    assert.equal(Number(next.previousStartedEventId), 3);
    await complete(h, next.taskToken, [cmd.complete('done')]);
    assert.equal((await eventNames(h, 'h-start')).at(-1), 'WORKFLOW_EXECUTION_COMPLETED');
    assert.deepEqual(transferTasks('h-start', 'workflow-task'), []);
    assert.deepEqual(h.matching.workflowTasks, []);
  });

  test('no poll waiting: the task goes to matching through its transfer task, as before', async () => {
    h.matching.poll('another-queue');
    await start(h, 'h-none');
    assert.equal(transferTasks('h-none', 'workflow-task').length, 1);
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === 'h-none').length, 1);
    assert.deepEqual(await eventNames(h, 'h-none'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const task = await pollWorkflowTask(h, 'h-none');
    assert.equal(names(task).at(-1), 'WORKFLOW_TASK_STARTED');
    h.matching.waiting.splice(0);
  });

  test('a failed commit releases the poll, which takes the task of the retried request', async () => {
    const poll = h.matching.poll(TASK_QUEUE);
    h.control.failCommits = true;
    await assert.rejects(start(h, 'h-fail'));
    h.control.failCommits = false;
    assert.equal(poll.outcome, 'released');
    assert.deepEqual(h.matching.waiting, [poll]);
    await start(h, 'h-fail');
    assert.equal(names(delivered(poll)).at(-1), 'WORKFLOW_TASK_STARTED');
  });

  test('a sticky task goes to the waiting sticky poll with the events after its cached ones', async () => {
    const first = h.matching.poll(TASK_QUEUE);
    await start(h, 'h-sticky');
    await complete(h, delivered(first).taskToken, [cmd.timer('t1', 60)], { stickyAttributes });
    // A normal poll waits too: the sticky task is not its.
    const normal = h.matching.poll(TASK_QUEUE);
    const sticky = h.matching.poll(STICKY, Kind.TASK_QUEUE_KIND_STICKY);
    await signal(h, 'h-sticky', 'go');
    const task = delivered(sticky);
    assert.equal(normal.outcome, undefined);
    assert.deepEqual(names(task), [
      'WORKFLOW_TASK_COMPLETED',
      'TIMER_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    assert.equal(Number(task.history?.events?.[0]?.eventId), 4);
    assert.equal(task.history?.events?.[3]?.workflowTaskScheduledEventAttributes?.taskQueue?.name, STICKY);
    // Neither the transfer task nor the sticky schedule-to-start timer was written.
    assert.deepEqual(transferTasks('h-sticky', 'workflow-task'), []);
    assert.deepEqual(
      h.control.tasks.filter(
        (t) => t.workflowId === 'h-sticky' && t.taskType === 'workflow-task-schedule-to-start',
      ),
      [],
    );
    await complete(h, task.taskToken, [cmd.complete('done')], { stickyAttributes });
    assert.equal((await eventNames(h, 'h-sticky')).at(-1), 'WORKFLOW_EXECUTION_COMPLETED');
    h.matching.waiting.splice(0);
  });

  test('a poll whose call was cancelled before the delivery: the task times out at once and goes to matching', async () => {
    const poll = h.matching.poll(TASK_QUEUE);
    poll.gone = true;
    await start(h, 'h-gone');
    await settle();
    assert.equal(poll.outcome, 'released');
    const events = await eventNames(h, 'h-gone');
    assert.deepEqual(events, [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_TIMED_OUT',
    ]);
    // The retry (attempt 2, transient) goes the usual way.
    const retry = await pollWorkflowTask(h, 'h-gone');
    assert.equal(retry.attempt, 2);
    assert.equal(names(retry).at(-1), 'WORKFLOW_TASK_STARTED');
  });
});
