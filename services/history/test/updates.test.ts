import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ServiceError, temporal } from '@odin/api';
import type { WorkflowServiceRequest, WorkflowServiceResponse } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { status } from '@grpc/grpc-js';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventNames,
  history,
  NS,
  payloadText,
  payloads,
  pollWorkflowTask,
  settle,
  setup,
  signal,
  start,
  startHistory,
  TASK_QUEUE,
} from './harness.js';
import type { Harness } from './harness.js';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
const CommandType = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const update = temporal.api.update.v1;

type UpdateResponse = WorkflowServiceResponse<'UpdateWorkflowExecutionResponse'>;
type PollResponse = WorkflowServiceResponse<'PollWorkflowExecutionUpdateResponse'>;
type Message = T.api.protocol.v1.IMessage;

function updateRequest(updateId: string, arg = 'x'): T.api.update.v1.IRequest {
  return { meta: { updateId, identity: 'client' }, input: { name: 'setValue', args: payloads(arg) } };
}

/** UpdateWorkflowExecution as a client sends it; resolves once the call answers. */
function sendUpdate(
  h: Harness,
  workflowId: string,
  updateId: string,
  stage: number = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
  extra: Partial<WorkflowServiceRequest<'UpdateWorkflowExecutionRequest'>> = {},
  deadline?: number,
): Promise<UpdateResponse> {
  return h.history.updateWorkflowExecution(
    NS,
    {
      namespace: NS.name,
      workflowExecution: { workflowId },
      waitPolicy: { lifecycleStage: stage },
      request: updateRequest(updateId),
      ...extra,
    },
    ctx(deadline),
  );
}

function pollUpdate(
  h: Harness,
  workflowId: string,
  updateId: string,
  stage: number = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
  runId = '',
): Promise<PollResponse> {
  return h.history.pollWorkflowExecutionUpdate(
    NS,
    {
      namespace: NS.name,
      updateRef: { workflowExecution: { workflowId, runId }, updateId },
      waitPolicy: { lifecycleStage: stage },
    },
    ctx(),
  );
}

function any(typeName: string, bytes: Uint8Array) {
  return { type_url: `type.googleapis.com/${typeName}`, value: bytes };
}

/** The worker's answers to a request message, as sdk-core sends them. */
const worker = {
  accept(request: Message, echo = true): Message {
    const id = request.protocolInstanceId!;
    const body = update.Acceptance.encode({
      acceptedRequestMessageId: request.id!,
      acceptedRequestSequencingEventId: request.eventId!,
      ...(echo ? { acceptedRequest: update.Request.decode(request.body!.value!) } : {}),
    }).finish();
    return {
      id: `${id}/accept`,
      protocolInstanceId: id,
      body: any('temporal.api.update.v1.Acceptance', body),
    };
  },
  reject(request: Message, message = 'Invalid Update argument'): Message {
    const id = request.protocolInstanceId!;
    const body = update.Rejection.encode({
      rejectedRequestMessageId: request.id!,
      rejectedRequestSequencingEventId: request.eventId!,
      rejectedRequest: update.Request.decode(request.body!.value!),
      failure: { message, applicationFailureInfo: { type: 'Error' } },
    }).finish();
    return {
      id: `${id}/reject`,
      protocolInstanceId: id,
      body: any('temporal.api.update.v1.Rejection', body),
    };
  },
  respond(updateId: string, result: string): Message {
    const body = update.Response.encode({
      meta: { updateId },
      outcome: { success: payloads(result) },
    }).finish();
    return {
      id: `${updateId}/complete`,
      protocolInstanceId: updateId,
      body: any('temporal.api.update.v1.Response', body),
    };
  },
};

function placed(message: Message): T.api.command.v1.ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
    protocolMessageCommandAttributes: { messageId: message.id },
  };
}

/** Completes a task with these messages, each placed by a PROTOCOL_MESSAGE command unless it is a rejection. */
async function answer(
  h: Harness,
  taskToken: Uint8Array | null | undefined,
  messages: Message[],
  commands: T.api.command.v1.ICommand[] = [],
): Promise<WorkflowServiceResponse<'RespondWorkflowTaskCompletedResponse'>> {
  const placedCommands = messages
    .filter((m) => !m.body?.type_url?.endsWith('Rejection'))
    .map((m) => placed(m));
  const res = await h.history.respondWorkflowTaskCompleted(
    NS,
    {
      namespace: NS.name,
      taskToken,
      commands: [...placedCommands, ...commands],
      messages,
      identity: 'worker',
      capabilities: { discardSpeculativeWorkflowTaskWithEvents: true },
    },
    ctx(),
  );
  await settle();
  return res;
}

/** A workflow that completed its first task and waits (no task pending). */
async function idleWorkflow(h: Harness, workflowId: string): Promise<string> {
  const runId = await start(h, workflowId);
  const wft = await pollWorkflowTask(h, workflowId);
  await complete(h, wft.taskToken, []);
  return runId;
}

function settled<V>(promise: Promise<V>): { value?: V; error?: unknown; done: boolean } {
  const state: { value?: V; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error) => Object.assign(state, { error, done: true }),
  );
  return state;
}

describe('workflow update', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('accepted and completed in one task: Accepted (with the request) then Completed, outcome to the caller', async () => {
    const workflowId = 'upd-accept-complete';
    const runId = await idleWorkflow(h, workflowId);
    const before = await eventNames(h, workflowId);
    const call = sendUpdate(h, workflowId, 'u1');
    const task = await pollWorkflowTask(h, workflowId);
    assert.equal(task.messages?.length, 1);
    const request = task.messages![0]!;
    assert.equal(request.protocolInstanceId, 'u1');
    assert.equal(request.id, 'u1/request');
    assert.equal(Number(request.eventId), Number(task.startedEventId) - 1);
    assert.equal(update.Request.decode(request.body!.value!).input?.name, 'setValue');
    // The speculative task's Scheduled/Started events are in the poll response, not in history.
    assert.deepEqual(
      task.history!.events!.slice(-2).map((e) => e.eventType),
      [
        temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      ],
    );
    assert.deepEqual(await eventNames(h, workflowId), before);
    await answer(h, task.taskToken, [worker.accept(request), worker.respond('u1', 'done')]);
    const res = await call;
    assert.equal(res.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    assert.equal(payloadText(res.outcome?.success), 'done');
    assert.equal(res.updateRef?.workflowExecution?.runId, runId);
    assert.equal(res.updateRef?.updateId, 'u1');
    assert.deepEqual(await eventNames(h, workflowId), [
      ...before,
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
    const events = await history(h, workflowId);
    const accepted = events.at(-2)!.workflowExecutionUpdateAcceptedEventAttributes!;
    assert.equal(accepted.protocolInstanceId, 'u1');
    assert.equal(accepted.acceptedRequestMessageId, 'u1/request');
    assert.equal(Number(accepted.acceptedRequestSequencingEventId), Number(request.eventId));
    assert.equal(accepted.acceptedRequest?.input?.name, 'setValue');
    const completed = events.at(-1)!.workflowExecutionUpdateCompletedEventAttributes!;
    assert.equal(Number(completed.acceptedEventId), Number(events.at(-2)!.eventId));
    assert.equal(completed.meta?.updateId, 'u1');
  });

  test('a validator rejection writes nothing: the speculative task is dropped and the caller gets the failure', async () => {
    const workflowId = 'upd-reject';
    await idleWorkflow(h, workflowId);
    const before = await eventNames(h, workflowId);
    const call = sendUpdate(h, workflowId, 'bad');
    const task = await pollWorkflowTask(h, workflowId);
    const res = await answer(h, task.taskToken, [worker.reject(task.messages![0]!)]);
    // The worker rolls its history back to the last task that really completed.
    assert.equal(Number(res.resetHistoryEventId), 3);
    const outcome = await call;
    assert.equal(outcome.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    assert.equal(outcome.outcome?.failure?.message, 'Invalid Update argument');
    assert.deepEqual(await eventNames(h, workflowId), before);
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === workflowId).length, 0);
    // A rejected update is kept nowhere: polling for it is NOT_FOUND.
    await assert.rejects(pollUpdate(h, workflowId, 'bad'), (e: ServiceError) => e.code === status.NOT_FOUND);
    // The same id is a new update afterwards (rejections are not deduplicated).
    const again = sendUpdate(h, workflowId, 'bad');
    const retry = await pollWorkflowTask(h, workflowId);
    assert.equal(retry.messages?.[0]?.protocolInstanceId, 'bad');
    await answer(h, retry.taskToken, [worker.reject(retry.messages![0]!)]);
    assert.ok((await again).outcome?.failure);
  });

  test("a dropped speculative task's token cannot complete the next task, which takes the same event ids", async () => {
    const workflowId = 'upd-reused-ids';
    await idleWorkflow(h, workflowId);
    const first = sendUpdate(h, workflowId, 'r1');
    const dropped = await pollWorkflowTask(h, workflowId);
    await answer(h, dropped.taskToken, [worker.reject(dropped.messages![0]!)]);
    await first;
    const second = sendUpdate(h, workflowId, 'r2');
    const next = await pollWorkflowTask(h, workflowId);
    assert.equal(Number(next.startedEventId), Number(dropped.startedEventId));
    await assert.rejects(
      answer(h, dropped.taskToken, [worker.reject(next.messages![0]!)]),
      (e: ServiceError) => e.code === status.NOT_FOUND,
    );
    await answer(h, next.taskToken, [worker.accept(next.messages![0]!), worker.respond('r2', 'second')]);
    assert.equal(payloadText((await second).outcome?.success), 'second');
  });

  test('ACCEPTED answers at acceptance; the outcome is polled for and the accepted update outlives its task', async () => {
    const workflowId = 'upd-accepted-stage';
    const runId = await idleWorkflow(h, workflowId);
    const call = sendUpdate(h, workflowId, 'slow', Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
    const task = await pollWorkflowTask(h, workflowId);
    // The handler runs on: the worker accepts and starts a timer.
    await answer(h, task.taskToken, [worker.accept(task.messages![0]!)], [cmd.timer('sleep', 5)]);
    const accepted = await call;
    assert.equal(accepted.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
    assert.equal(accepted.outcome, undefined);
    const poll = pollUpdate(
      h,
      workflowId,
      'slow',
      Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      runId,
    );
    const polled = settled(poll);
    await advance(h, 5_000);
    assert.equal(polled.done, false);
    const next = await pollWorkflowTask(h, workflowId);
    assert.equal(next.messages?.length, 0);
    await answer(h, next.taskToken, [worker.respond('slow', 'slept')]);
    const res = await poll;
    assert.equal(payloadText(res.outcome?.success), 'slept');
    assert.equal(res.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
  });

  test('a second request with the same id joins the first; a completed one is answered without a new task', async () => {
    const workflowId = 'upd-dedup';
    await idleWorkflow(h, workflowId);
    const first = sendUpdate(h, workflowId, 'same');
    const second = sendUpdate(h, workflowId, 'same');
    await settle();
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === workflowId).length, 1);
    const task = await pollWorkflowTask(h, workflowId);
    assert.equal(task.messages?.length, 1);
    await answer(h, task.taskToken, [worker.accept(task.messages![0]!), worker.respond('same', 'once')]);
    assert.equal(payloadText((await first).outcome?.success), 'once');
    assert.equal(payloadText((await second).outcome?.success), 'once');
    const eventsBefore = await eventNames(h, workflowId);
    const third = await sendUpdate(h, workflowId, 'same');
    assert.equal(payloadText(third.outcome?.success), 'once');
    assert.deepEqual(await eventNames(h, workflowId), eventsBefore);
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === workflowId).length, 0);
    const polled = await pollUpdate(h, workflowId, 'same');
    assert.equal(payloadText(polled.outcome?.success), 'once');
  });

  test('on a closed run: a completed update still answers its outcome, a new one is NOT_FOUND', async () => {
    const workflowId = 'upd-closed';
    await idleWorkflow(h, workflowId);
    const call = sendUpdate(h, workflowId, 'before-close');
    const task = await pollWorkflowTask(h, workflowId);
    await answer(
      h,
      task.taskToken,
      [worker.accept(task.messages![0]!), worker.respond('before-close', 'ok')],
      [cmd.complete('result')],
    );
    assert.equal(payloadText((await call).outcome?.success), 'ok');
    assert.equal((await eventNames(h, workflowId)).at(-1), 'WORKFLOW_EXECUTION_COMPLETED');
    const again = await sendUpdate(h, workflowId, 'before-close');
    assert.equal(payloadText(again.outcome?.success), 'ok');
    await assert.rejects(sendUpdate(h, workflowId, 'after-close'), (e: ServiceError) => {
      assert.equal(e.code, status.NOT_FOUND);
      assert.equal(e.message, 'workflow execution already completed');
      return true;
    });
  });

  test('an update that arrives while a task is in flight waits for the next task, scheduled when that one completes', async () => {
    const workflowId = 'upd-in-flight';
    await start(h, workflowId);
    const first = await pollWorkflowTask(h, workflowId);
    assert.equal(first.messages?.length, 0);
    const call = sendUpdate(h, workflowId, 'queued');
    await settle();
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === workflowId).length, 0);
    await complete(h, first.taskToken, []);
    const next = await pollWorkflowTask(h, workflowId);
    assert.equal(next.messages?.[0]?.protocolInstanceId, 'queued');
    await answer(h, next.taskToken, [worker.accept(next.messages![0]!), worker.respond('queued', 'later')]);
    assert.equal(payloadText((await call).outcome?.success), 'later');
  });

  test('an update on a run whose task is scheduled rides on that task, with the events that came meanwhile', async () => {
    const workflowId = 'upd-scheduled';
    await start(h, workflowId);
    const call = sendUpdate(h, workflowId, 'with-first');
    const task = await pollWorkflowTask(h, workflowId);
    assert.equal(task.messages?.[0]?.protocolInstanceId, 'with-first');
    assert.equal(Number(task.messages![0]!.eventId), 2);
    await answer(h, task.taskToken, [
      worker.accept(task.messages![0]!),
      worker.respond('with-first', 'first'),
    ]);
    assert.equal(payloadText((await call).outcome?.success), 'first');
    assert.deepEqual(await eventNames(h, workflowId), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
  });

  test('a signal while the speculative task is scheduled makes it a normal task that still carries the update', async () => {
    const workflowId = 'upd-signal-meanwhile';
    await idleWorkflow(h, workflowId);
    const call = sendUpdate(h, workflowId, 'mixed');
    await settle();
    await signal(h, workflowId, 'poke');
    const task = await pollWorkflowTask(h, workflowId);
    assert.equal(task.messages?.[0]?.protocolInstanceId, 'mixed');
    await answer(h, task.taskToken, [worker.reject(task.messages![0]!)]);
    assert.ok((await call).outcome?.failure);
    const names = await eventNames(h, workflowId);
    assert.deepEqual(names.slice(-4), [
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
    ]);
  });

  test('a worker that passes over an update has it rejected by the server', async () => {
    const workflowId = 'upd-unprocessed';
    await idleWorkflow(h, workflowId);
    const call = sendUpdate(h, workflowId, 'ignored');
    const task = await pollWorkflowTask(h, workflowId);
    await answer(h, task.taskToken, []);
    const res = await call;
    assert.equal(res.outcome?.failure?.applicationFailureInfo?.type, 'UnprocessedUpdate');
  });

  test('the caller gets the stage reached at the long-poll bound, DEADLINE_EXCEEDED at an earlier deadline of its own', async () => {
    const workflowId = 'upd-timeouts';
    await idleWorkflow(h, workflowId);
    const bounded = settled(sendUpdate(h, workflowId, 'waits'));
    await advance(h, 20_000);
    await settle();
    assert.equal(bounded.done, true);
    assert.equal(
      (bounded.value as UpdateResponse).stage,
      Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
    );
    const deadline = h.clock.now() + 3_000;
    const early = settled(sendUpdate(h, workflowId, 'waits', undefined, {}, deadline));
    await advance(h, 3_000);
    await settle();
    assert.equal(early.done, true);
    assert.ok(early.error instanceof ServiceError);
    assert.equal((early.error as ServiceError).code, status.DEADLINE_EXCEEDED);
    // Both requests joined one update: one task carries it.
    const task = await pollWorkflowTask(h, workflowId);
    assert.equal(task.messages?.length, 1);
    await answer(h, task.taskToken, [worker.reject(task.messages![0]!)]);
  });

  test('ADMITTED answers as soon as the update is admitted', async () => {
    const workflowId = 'upd-admitted';
    await idleWorkflow(h, workflowId);
    const res = await sendUpdate(
      h,
      workflowId,
      'fast',
      Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
    );
    assert.equal(res.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    const task = await pollWorkflowTask(h, workflowId);
    await answer(h, task.taskToken, [worker.accept(task.messages![0]!), worker.respond('fast', 'v')]);
    assert.equal(payloadText((await pollUpdate(h, workflowId, 'fast')).outcome?.success), 'v');
  });

  test('the workflow completing after accepting an update fails its outcome; an admitted one is aborted', async () => {
    const workflowId = 'upd-close-accepted';
    await idleWorkflow(h, workflowId);
    const acceptedCall = sendUpdate(h, workflowId, 'accepted-only');
    const task = await pollWorkflowTask(h, workflowId);
    const admittedCall = settled(sendUpdate(h, workflowId, 'admitted-only'));
    await settle();
    await answer(h, task.taskToken, [worker.accept(task.messages![0]!)], [cmd.complete('bye')]);
    const res = await acceptedCall;
    assert.equal(res.outcome?.failure?.applicationFailureInfo?.type, 'AcceptedUpdateCompletedWorkflow');
    await settle();
    assert.equal(admittedCall.done, true);
    assert.equal((admittedCall.error as ServiceError).code, status.NOT_FOUND);
    // Asked again, the closed run answers the accepted update's failure.
    const again = await sendUpdate(h, workflowId, 'accepted-only');
    assert.equal(again.outcome?.failure?.applicationFailureInfo?.type, 'AcceptedUpdateCompletedWorkflow');
  });

  test('an update admitted while the run continues as new goes to the new run', async () => {
    const workflowId = 'upd-continue';
    const firstRun = await start(h, workflowId);
    const task = await pollWorkflowTask(h, workflowId);
    const call = sendUpdate(h, workflowId, 'moves');
    await settle();
    await complete(h, task.taskToken, [
      {
        commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: TASK_QUEUE },
          input: payloads('again'),
        },
      },
    ]);
    const next = await pollWorkflowTask(h, workflowId);
    assert.notEqual(next.workflowExecution?.runId, firstRun);
    assert.equal(next.messages?.[0]?.protocolInstanceId, 'moves');
    await answer(h, next.taskToken, [worker.accept(next.messages![0]!), worker.respond('moves', 'new-run')]);
    const res = await call;
    assert.equal(payloadText(res.outcome?.success), 'new-run');
    assert.equal(res.updateRef?.workflowExecution?.runId, next.workflowExecution?.runId);
  });

  test('a refused completion drops the updates the workflow saw, with FAILED_PRECONDITION', async () => {
    const workflowId = 'upd-refused';
    await idleWorkflow(h, workflowId);
    const call = settled(sendUpdate(h, workflowId, 'seen'));
    const task = await pollWorkflowTask(h, workflowId);
    // Two timers with one id: the completion is refused and the task fails.
    await answer(
      h,
      task.taskToken,
      [worker.accept(task.messages![0]!)],
      [cmd.timer('t', 1), cmd.timer('t', 1)],
    );
    await settle();
    assert.equal(call.done, true);
    assert.equal((call.error as ServiceError).code, status.FAILED_PRECONDITION);
    const names = await eventNames(h, workflowId);
    assert.equal(names.at(-1), 'WORKFLOW_TASK_FAILED');
    assert.ok(!names.includes('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'));
  });

  test('a message a PROTOCOL_MESSAGE command names but the completion lacks fails the task', async () => {
    const workflowId = 'upd-absent-message';
    await idleWorkflow(h, workflowId);
    const call = settled(sendUpdate(h, workflowId, 'lost'));
    const task = await pollWorkflowTask(h, workflowId);
    await complete(h, task.taskToken, [placed({ id: 'nope' })]);
    const failed = (await history(h, workflowId)).at(-1)?.workflowTaskFailedEventAttributes;
    assert.equal(failed?.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE);
    await settle();
    assert.equal((call.error as ServiceError).code, status.FAILED_PRECONDITION);
  });

  test('new updates are refused while the workflow task keeps failing', async () => {
    const workflowId = 'upd-failing';
    await idleWorkflow(h, workflowId);
    await signal(h, workflowId, 'wake');
    for (let i = 0; i < 2; i++) {
      const task = await pollWorkflowTask(h, workflowId);
      await h.history.respondWorkflowTaskFailed(
        NS,
        { namespace: NS.name, taskToken: task.taskToken, cause: 1, failure: { message: 'boom' } },
        ctx(),
      );
      await settle();
    }
    await assert.rejects(sendUpdate(h, workflowId, 'refused'), (e: ServiceError) => {
      assert.equal(e.code, status.FAILED_PRECONDITION);
      assert.equal(e.detail?.typeName, 'temporal.api.errordetails.v1.WorkflowNotReadyFailure');
      return true;
    });
  });

  test('the in-flight limit refuses updates beyond it', async () => {
    const limited = await setup('sqlite::memory:', { maxInFlightUpdates: 2 });
    try {
      const workflowId = 'upd-limit';
      await idleWorkflow(limited, workflowId);
      const calls = [
        settled(sendUpdate(limited, workflowId, 'a')),
        settled(sendUpdate(limited, workflowId, 'b')),
      ];
      await settle();
      await assert.rejects(sendUpdate(limited, workflowId, 'c'), (e: ServiceError) => {
        assert.equal(e.code, status.RESOURCE_EXHAUSTED);
        return true;
      });
      const task = await pollWorkflowTask(limited, workflowId);
      assert.equal(task.messages?.length, 2);
      await answer(
        limited,
        task.taskToken,
        task.messages!.map((m) => worker.reject(m)),
      );
      await settle();
      assert.ok(calls.every((c) => c.done));
    } finally {
      await limited.close();
    }
  });
});

describe('workflow update across a restart', () => {
  test('an accepted update survives the host: polled and joined after the restart, completed by the next task', async () => {
    const h = await setup();
    try {
      const workflowId = 'upd-restart';
      await idleWorkflow(h, workflowId);
      const call = sendUpdate(
        h,
        workflowId,
        'durable',
        Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED,
      );
      const task = await pollWorkflowTask(h, workflowId);
      await answer(h, task.taskToken, [worker.accept(task.messages![0]!)], [cmd.timer('work', 60)]);
      assert.equal((await call).stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
      // An update only admitted when the host goes away is lost with it (its caller retries).
      const lost = settled(sendUpdate(h, workflowId, 'admitted-at-crash'));
      await settle();

      await h.history.stop();
      await settle();
      assert.equal(lost.done, true);
      assert.equal((lost.error as ServiceError).code, status.UNAVAILABLE);
      const restarted = await startHistory(h.store, h.clock, h.matching, 'host-b');
      h.history = restarted.history;

      const joined = await sendUpdate(
        h,
        workflowId,
        'durable',
        Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED,
      );
      assert.equal(joined.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
      await advance(h, 60_000);
      const polled = settled(pollUpdate(h, workflowId, 'durable'));
      const next = await pollWorkflowTask(h, workflowId);
      await answer(h, next.taskToken, [worker.respond('durable', 'after-restart')]);
      await settle();
      assert.equal(polled.done, true);
      assert.equal(payloadText((polled.value as PollResponse).outcome?.success), 'after-restart');
    } finally {
      await h.close();
    }
  });

  test('an acceptance for an update the host forgot is taken from the request the worker echoes', async () => {
    const h = await setup();
    try {
      const workflowId = 'upd-resurrect';
      await idleWorkflow(h, workflowId);
      settled(sendUpdate(h, workflowId, 'echoed'));
      const task = await pollWorkflowTask(h, workflowId);
      await h.history.stop();
      h.history = (await startHistory(h.store, h.clock, h.matching, 'host-c')).history;
      await answer(h, task.taskToken, [worker.accept(task.messages![0]!), worker.respond('echoed', 'kept')]);
      const names = await eventNames(h, workflowId);
      assert.deepEqual(names.slice(-2), [
        'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
        'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
      ]);
      assert.equal(payloadText((await pollUpdate(h, workflowId, 'echoed')).outcome?.success), 'kept');
    } finally {
      await h.close();
    }
  });
});

describe('an update a reset reapplied as admitted', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  /** A run that completed update `updateId` after its first task, reset to that task: the update comes back admitted. */
  async function resetOverUpdate(workflowId: string, updateId: string): Promise<string> {
    const baseRunId = await idleWorkflow(h, workflowId);
    const first = sendUpdate(h, workflowId, updateId);
    const task = await pollWorkflowTask(h, workflowId);
    await answer(h, task.taskToken, [worker.accept(task.messages![0]!), worker.respond(updateId, 'first')]);
    assert.equal(payloadText((await first).outcome?.success), 'first');
    const reset = await h.history.resetWorkflowExecution(
      NS,
      {
        namespace: NS.name,
        workflowExecution: { workflowId, runId: baseRunId },
        reason: 'redo',
        workflowTaskFinishEventId:
          4 as unknown as WorkflowServiceRequest<'ResetWorkflowExecutionRequest'>['workflowTaskFinishEventId'],
        requestId: randomUUID(),
      },
      ctx(),
    );
    await settle();
    return reset.runId!;
  }

  /** The request message a worker reads from the run's WorkflowExecutionUpdateAdmitted event. */
  function fromAdmittedEvent(task: WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>): Message {
    const event = task.history?.events?.find(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
    );
    const request = event?.workflowExecutionUpdateAdmittedEventAttributes?.request;
    assert.ok(request, 'the task carries the Admitted event');
    const updateId = request.meta?.updateId ?? '';
    return {
      id: `${updateId}/request`,
      protocolInstanceId: updateId,
      eventId: event?.eventId ?? null,
      body: any('temporal.api.update.v1.Request', update.Request.encode(request).finish()),
    };
  }

  test('the same update id sent to the new run joins the reapplied update and gets its outcome', async () => {
    const workflowId = 'upd-reset-join';
    const runId = await resetOverUpdate(workflowId, 'u1');
    // Known before any worker accepted it: polled at ADMITTED, and joined (not admitted a second time).
    const polled = await pollUpdate(
      h,
      workflowId,
      'u1',
      Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
    );
    assert.equal(polled.stage, Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    const joined = sendUpdate(h, workflowId, 'u1');
    await settle();
    const task = await pollWorkflowTask(h, workflowId);
    assert.deepEqual(task.messages ?? [], [], 'its request is in history, no message repeats it');
    await answer(h, task.taskToken, [worker.accept(fromAdmittedEvent(task)), worker.respond('u1', 'second')]);
    const outcome = await joined;
    assert.equal(outcome.updateRef?.workflowExecution?.runId, runId);
    assert.equal(payloadText(outcome.outcome?.success), 'second');
    const names = await eventNames(h, workflowId, runId);
    assert.equal(names.filter((n) => n === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED').length, 1);
    // Answered from history from now on.
    assert.equal(payloadText((await sendUpdate(h, workflowId, 'u1')).outcome?.success), 'second');
  });

  test('rejected by the workflow, its caller gets the rejection and the id may be used again', async () => {
    const workflowId = 'upd-reset-reject';
    await resetOverUpdate(workflowId, 'u2');
    const joined = sendUpdate(h, workflowId, 'u2');
    await settle();
    const task = await pollWorkflowTask(h, workflowId);
    await answer(h, task.taskToken, [worker.reject(fromAdmittedEvent(task), 'not any more')]);
    assert.equal((await joined).outcome?.failure?.message, 'not any more');
    const fresh = sendUpdate(h, workflowId, 'u2');
    await settle();
    const next = await pollWorkflowTask(h, workflowId);
    assert.equal(next.messages?.length, 1, 'admitted anew, carried by a message');
    await answer(h, next.taskToken, [worker.accept(next.messages![0]!), worker.respond('u2', 'third')]);
    assert.equal(payloadText((await fresh).outcome?.success), 'third');
  });
});

describe('update-with-start', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  function updateWithStart(
    workflowId: string,
    updateId: string,
    conflictPolicy: number,
    requestId = randomUUID(),
  ): Promise<WorkflowServiceResponse<'ExecuteMultiOperationResponse'>> {
    return h.history.executeMultiOperation(
      NS,
      {
        namespace: NS.name,
        operations: [
          {
            startWorkflow: {
              namespace: NS.name,
              workflowId,
              workflowType: { name: 'wf' },
              taskQueue: { name: TASK_QUEUE },
              requestId,
              workflowIdConflictPolicy: conflictPolicy,
            },
          },
          {
            updateWorkflow: {
              namespace: NS.name,
              workflowExecution: { workflowId },
              waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
              request: updateRequest(updateId),
            },
          },
        ],
      },
      ctx(),
    );
  }

  const Conflict = temporal.api.enums.v1.WorkflowIdConflictPolicy;

  test('starts the workflow with the update on its first task, then attaches to it with USE_EXISTING', async () => {
    const workflowId = 'uws';
    const call = updateWithStart(workflowId, 'first', Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
    const task = await pollWorkflowTask(h, workflowId);
    assert.equal(task.messages?.[0]?.protocolInstanceId, 'first');
    await answer(h, task.taskToken, [worker.accept(task.messages![0]!), worker.respond('first', 'one')]);
    const res = await call;
    const [startRes, updateRes] = res.responses!;
    assert.equal(startRes?.startWorkflow?.started, true);
    assert.equal(payloadText(updateRes?.updateWorkflow?.outcome?.success), 'one');
    assert.equal(
      updateRes?.updateWorkflow?.updateRef?.workflowExecution?.runId,
      startRes?.startWorkflow?.runId,
    );

    const second = updateWithStart(workflowId, 'second', Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
    const next = await pollWorkflowTask(h, workflowId);
    await answer(h, next.taskToken, [worker.accept(next.messages![0]!), worker.respond('second', 'two')]);
    const attached = await second;
    assert.equal(attached.responses?.[0]?.startWorkflow?.started, false);
    assert.equal(attached.responses?.[0]?.startWorkflow?.runId, startRes?.startWorkflow?.runId);
    assert.equal(payloadText(attached.responses?.[1]?.updateWorkflow?.outcome?.success), 'two');
  });

  test('with FAIL a running workflow fails the start: ALREADY_EXISTS for it, ABORTED for the update', async () => {
    const workflowId = 'uws-fail';
    await start(h, workflowId);
    await assert.rejects(
      updateWithStart(workflowId, 'never', Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL),
      (e: ServiceError) => {
        assert.equal(e.code, status.ALREADY_EXISTS);
        assert.equal(e.detail?.typeName, 'temporal.api.errordetails.v1.MultiOperationExecutionFailure');
        const statuses = (e.detail!.value as { statuses: { code: number }[] }).statuses;
        assert.deepEqual(
          statuses.map((s) => s.code),
          [status.ALREADY_EXISTS, status.ABORTED],
        );
        return true;
      },
    );
  });

  test('a completed update is answered with its outcome even after the workflow closed', async () => {
    const workflowId = 'uws-closed';
    const call = updateWithStart(workflowId, 'done', Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
    const task = await pollWorkflowTask(h, workflowId);
    await answer(
      h,
      task.taskToken,
      [worker.accept(task.messages![0]!), worker.respond('done', 'final')],
      [cmd.complete('r')],
    );
    await call;
    const res = await updateWithStart(workflowId, 'done', Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
    assert.equal(res.responses?.[0]?.startWorkflow?.started, false);
    assert.equal(
      res.responses?.[0]?.startWorkflow?.status,
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    );
    assert.equal(payloadText(res.responses?.[1]?.updateWorkflow?.outcome?.success), 'final');
  });
});
