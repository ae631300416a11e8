// The update protocol in the workflow runtime, on hand-built histories: what a live task answers (commands and
// messages), how replay delivers accepted updates again, and the inbound update interceptors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter, toPayloads } from '../src/common/payload.js';
import type { Headers } from '../src/common/interceptors.js';
import { runWorkflowTask } from '../src/workflow/task-runner.js';
import type { UpdateRequest } from '../src/workflow/updates.js';
import type { WorkflowInterceptorsFactory } from '../src/workflow/interceptors.js';
import { DeterminismViolationError } from '../src/workflow/errors.js';
import { WorkflowSimulator } from '../src/testing/workflow-simulator.js';
import { assertDeterministicReplay } from '../src/replay.js';
import { ApplicationFailure } from '../src/common/failure.js';
import { CommandType, EventType, HistoryBuilder } from './history-helpers.js';
import * as workflows from './workflows/updates.js';

function live(updateId: string, name: string, args: unknown[], headers: Headers = {}): UpdateRequest {
  const request = {
    meta: { updateId, identity: 'test' },
    input: { name, args: toPayloads(defaultPayloadConverter, args) ?? null, header: { fields: headers } },
  };
  return {
    updateId,
    name,
    args: request.input.args,
    headers,
    message: { id: `${updateId}/request`, sequencingEventId: 2, request },
  };
}

function run(
  history: HistoryBuilder,
  updates: UpdateRequest[] = [],
  interceptors: WorkflowInterceptorsFactory[] = [],
) {
  return runWorkflowTask({
    namespace: 'default',
    workflowId: 'wf-1',
    runId: 'run-1',
    history: history.events,
    workflows,
    updates,
    interceptors,
  });
}

function accepted(h: HistoryBuilder, updateId: string, name: string, args: unknown[]): number {
  return h.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
    workflowExecutionUpdateAcceptedEventAttributes: {
      protocolInstanceId: updateId,
      acceptedRequestMessageId: `${updateId}/request`,
      acceptedRequest: {
        meta: { updateId },
        input: { name, args: toPayloads(defaultPayloadConverter, args) ?? null },
      },
    },
  });
}

function completed(h: HistoryBuilder, updateId: string, acceptedEventId: number, value: unknown): void {
  h.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
    workflowExecutionUpdateCompletedEventAttributes: {
      meta: { updateId },
      acceptedEventId,
      outcome: { success: toPayloads(defaultPayloadConverter, [value]) },
    },
  });
}

describe('updates in the workflow runtime', () => {
  test('a live task accepts and completes a valid update, rejects an invalid or unknown one (no command)', async () => {
    const h = new HistoryBuilder().started('cart').workflowTask(true);
    const outcome = await run(h, [
      live('u1', 'addItem', ['apple']),
      live('u2', 'addItem', ['forbidden']),
      live('u3', 'noSuchUpdate', []),
    ]);
    assert.equal(outcome.taskFailure, undefined);
    assert.deepEqual(
      outcome.commands.map((c) => [c.commandType, c.protocolMessageCommandAttributes?.messageId]),
      [
        [CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, 'u1/accept'],
        [CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, 'u1/complete'],
      ],
    );
    const byUpdate = Object.fromEntries(
      outcome.messages.map((m) => [`${m.updateId}:${m.kind}`, m.body as Record<string, unknown>]),
    );
    assert.deepEqual(Object.keys(byUpdate).sort(), [
      'u1:acceptance',
      'u1:response',
      'u2:rejection',
      'u3:rejection',
    ]);
    assert.equal(byUpdate['u1:acceptance']?.['acceptedRequestMessageId'], 'u1/request');
    const response = byUpdate['u1:response'] as {
      outcome: { success: { payloads: { data: Uint8Array }[] } };
    };
    assert.equal(new TextDecoder().decode(response.outcome.success.payloads[0]!.data), '1');
    assert.match(
      String((byUpdate['u2:rejection']?.['failure'] as { message?: string } | undefined)?.message),
      /not allowed/,
    );
    assert.match(
      String((byUpdate['u3:rejection']?.['failure'] as { message?: string } | undefined)?.message),
      /No registered handler for update: noSuchUpdate/,
    );
  });

  test('replay delivers an accepted update from its event (no validator) and matches its two messages', async () => {
    const h = new HistoryBuilder().started('cart').workflowTask();
    h.workflowTask();
    const a = accepted(h, 'u1', 'addItem', ['apple']);
    completed(h, 'u1', a, 1);
    h.workflowTask(true);
    const outcome = await run(h, [live('u2', 'finish', [])]);
    assert.equal(outcome.nondeterminism, undefined, String(outcome.nondeterminism));
    assert.equal(outcome.replayed, 2);
    assert.deepEqual(
      outcome.trace[1]?.map((c) => c.protocolMessageCommandAttributes?.messageId),
      ['u1/accept', 'u1/complete'],
    );
    // The live `finish` sees the item the replayed update added; the workflow then returns.
    assert.deepEqual(
      outcome.commands.map((c) => c.commandType),
      [
        CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
        CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      ],
    );
  });

  test('an accepted update the workflow has no handler for, or that completes differently, is a divergence', async () => {
    const unknown = new HistoryBuilder().started('cart').workflowTask();
    unknown.workflowTask();
    accepted(unknown, 'u1', 'renamedUpdate', []);
    unknown.workflowTask(true);
    const first = await run(unknown);
    assert.ok(first.nondeterminism instanceof DeterminismViolationError, String(first.taskFailure));
    assert.match(first.nondeterminism.message, /no handler/);

    // slowAdd sleeps before completing: history saying it completed at once does not match.
    const early = new HistoryBuilder().started('cart').workflowTask();
    early.workflowTask();
    const a = accepted(early, 'u1', 'slowAdd', ['x', 1000]);
    completed(early, 'u1', a, 1);
    early.workflowTask(true);
    const second = await run(early);
    assert.ok(second.nondeterminism instanceof DeterminismViolationError);
    assert.match(second.nondeterminism.message, /UPDATE_COMPLETED|START_TIMER/);
  });

  test('inbound interceptors see updates with their headers; validateUpdate runs only live', async () => {
    const seen: string[] = [];
    const factory: WorkflowInterceptorsFactory = () => ({
      inbound: [
        {
          validateUpdate(input, next) {
            seen.push(`validate ${input.name} ${Object.keys(input.headers).join(',')}`);
            next(input);
          },
          async handleUpdate(input, next) {
            seen.push(`handle ${input.name} ${Object.keys(input.headers).join(',')}`);
            return next(input);
          },
        },
      ],
    });
    const header = { trace: defaultPayloadConverter.toPayload('t') };
    const h = new HistoryBuilder().started('cart').workflowTask(true);
    const outcome = await run(h, [live('u1', 'addItem', ['apple'], header)], [factory]);
    assert.equal(outcome.messages.length, 2);
    assert.deepEqual(seen, ['validate addItem trace', 'handle addItem trace']);

    seen.length = 0;
    const replayed = new HistoryBuilder().started('cart').workflowTask();
    replayed.workflowTask();
    const a = accepted(replayed, 'u1', 'addItem', ['apple']);
    completed(replayed, 'u1', a, 1);
    replayed.workflowTask(true);
    await run(replayed, [], [factory]);
    assert.deepEqual(seen, ['handle addItem ']);
  });
});

describe('updates in the WorkflowSimulator', () => {
  test('updates are validated, accepted, run (timers and activities) and completed; rejections leave no trace', async () => {
    const sim = new WorkflowSimulator(
      { workflows, activities: { greet: async (name: string) => `Hello, ${name}!` } },
      'cart',
    );
    await sim.run();
    const apple = sim.update<number>('addItem', 'apple');
    assert.equal(apple.state, 'requested');
    await sim.run();
    assert.equal(apple.state, 'completed');
    assert.equal(apple.result(), 1);

    const length = sim.history.length;
    const forbidden = sim.update('addItem', 'forbidden');
    await sim.run();
    assert.equal(forbidden.state, 'rejected');
    assert.throws(() => forbidden.result(), /not allowed/);
    assert.equal(sim.history.length, length, 'a task that only rejected is dropped');

    const slow = sim.update<number>('slowAdd', 'slow', 60_000);
    const greeting = sim.update<string>('greetItem', 'Ada');
    const refused = sim.update('checkout', 'closed');
    await sim.run();
    // The activity completes before the minute-long timer fires: Ada is added first.
    assert.equal(slow.result(), 3);
    assert.equal(greeting.result(), 'Hello, Ada!');
    assert.throws(
      () => refused.result(),
      (error: unknown) => error instanceof ApplicationFailure && error.type === 'CheckoutRefused',
    );
    const finish = sim.update<string[]>('finish');
    assert.equal(await sim.run(), 'completed');
    assert.equal(finish.result().length, 3);
    assert.deepEqual(sim.result(), finish.result());
    await assertDeterministicReplay(sim.history, workflows);
  });
});
