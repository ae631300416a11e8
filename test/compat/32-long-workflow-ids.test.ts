// Workflow ids up to Temporal's limit of 1,000 bytes of UTF-8 with the official SDK, on every topology: an id of
// 250 four-byte emoji and one of 1,000 ASCII characters start, take a signal, complete, describe, list by `=` and
// STARTS_WITH, and read their history; one byte more is INVALID_ARGUMENT and writes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@odin/api';
import { WorkflowNotFoundError } from '@temporalio/client';
import { compatSuite } from './harness.js';
import { eventually, grpcError } from './polling.js';

const EventType = temporal.api.enums.v1.EventType;

/** 250 characters, 1,000 bytes of UTF-8. */
const EMOJI_ID = '\u{1F680}'.repeat(250);
const ASCII_ID = `ascii-${'a'.repeat(994)}`;
/** 1,001 bytes of UTF-8 in 251 characters: over Temporal's limit though far under 1,000 characters. */
const EMOJI_OVER = `${EMOJI_ID}x`;
const ASCII_OVER = `${ASCII_ID}a`;

const idTooLong = (error: unknown) => {
  const { code, text } = grpcError(error);
  assert.equal(code, 3, `INVALID_ARGUMENT expected: ${text}`);
  assert.match(text, /WorkflowId length exceeds limit: 1001 bytes of UTF-8; the limit is 1000/);
  return true;
};

compatSuite('scenario 32: workflow ids of 1,000 bytes', (env) => {
  test('1,000-byte ids (emoji and ASCII) start, take signals, complete, describe, list and read history', async () => {
    const e = env();
    assert.equal(Buffer.byteLength(EMOJI_ID), 1000);
    assert.equal(ASCII_ID.length, 1000);
    const taskQueue = e.taskQueue('long-ids');
    const listIds = async (query: string) => {
      const ids: string[] = [];
      for await (const info of e.client.workflow.list({ query })) ids.push(info.workflowId);
      return ids;
    };
    await e.withWorker(taskQueue, async () => {
      for (const workflowId of [EMOJI_ID, ASCII_ID]) {
        const handle = await e.client.workflow.start('signalCollector', {
          taskQueue,
          workflowId,
          args: [1],
        });
        await handle.signal('add', 'item');
        assert.deepEqual(await handle.result(), ['item']);

        const described = await e.client.workflow.getHandle(workflowId).describe();
        assert.equal(described.workflowId, workflowId);
        assert.equal(described.status.name, 'COMPLETED');

        const history = await handle.fetchHistory();
        const events = history.events ?? [];
        assert.equal(events[0]?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
        assert.ok(events.some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
        assert.equal(events.at(-1)?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

        const byId = await eventually(
          () => listIds(`WorkflowId = '${workflowId}'`),
          (ids) => ids.length === 1,
        );
        assert.deepEqual(byId, [workflowId]);
      }
    });
    const prefixed = await eventually(
      () => listIds(`WorkflowId STARTS_WITH '${EMOJI_ID.slice(0, 200)}'`),
      (ids) => ids.length === 1,
    );
    assert.deepEqual(prefixed, [EMOJI_ID]);
    const both = await e.client.workflow.count(`WorkflowId IN ('${EMOJI_ID}', '${ASCII_ID}')`);
    assert.equal(both.count, 2);
  });

  test('an id of 1,001 bytes is INVALID_ARGUMENT for start, signal and signal-with-start, and nothing is written', async () => {
    const e = env();
    const taskQueue = e.taskQueue('too-long');
    for (const workflowId of [EMOJI_OVER, ASCII_OVER]) {
      await assert.rejects(
        e.client.workflow.start('sleeper', { taskQueue, workflowId, args: [60_000] }),
        (error) => idTooLong(error),
      );
      await assert.rejects(
        e.client.workflow.signalWithStart('signalCollector', {
          taskQueue,
          workflowId,
          args: [1],
          signal: 'add',
          signalArgs: ['item'],
        }),
        (error) => idTooLong(error),
      );
      await assert.rejects(e.client.workflow.getHandle(workflowId).signal('add', 'item'), (error) =>
        idTooLong(error),
      );
      await assert.rejects(e.client.workflow.getHandle(workflowId).describe(), (error) => idTooLong(error));
    }
    // The ids one byte shorter name no workflow: the refused requests left nothing behind under any prefix.
    await assert.rejects(
      e.client.workflow.getHandle(EMOJI_ID.slice(0, -2)).describe(),
      WorkflowNotFoundError,
    );
    const written = await e.client.workflow.count(`TaskQueue = '${taskQueue}'`);
    assert.equal(written.count, 0);
  });
});
