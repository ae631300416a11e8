import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { compatSuite } from './harness.js';

const EVERY_MS = 2_000;
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

function ms(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
}

compatSuite('model 4: cron workflows', (env) => {
  test('each cron run waits for its slot of the schedule and the next run follows on the next slot', async () => {
    const e = env();
    const taskQueue = e.taskQueue('cron');
    const workflowId = `cron-${taskQueue}`;
    const runs = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('cronTick', {
        taskQueue,
        workflowId,
        cronSchedule: `@every ${EVERY_MS / 1000}s`,
      });
      const seen: HistoryEvent[][] = [];
      let runId: string | undefined = handle.firstExecutionRunId;
      while (seen.length < 2 && runId) {
        const events: HistoryEvent[] =
          (await e.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
        const last: HistoryEvent | undefined = events.at(-1);
        if (last?.workflowExecutionCompletedEventAttributes) {
          seen.push(events);
          runId = last.workflowExecutionCompletedEventAttributes.newExecutionRunId ?? undefined;
        } else {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await e.client.workflow.getHandle(workflowId).terminate('test done');
      return seen;
    });
    assert.equal(runs.length, 2);
    const slots = runs.map((events) => {
      const started = events[0]!;
      const attrs = started.workflowExecutionStartedEventAttributes!;
      assert.equal(attrs.cronSchedule, `@every ${EVERY_MS / 1000}s`);
      const backoff = ms(attrs.firstWorkflowTaskBackoff);
      assert.ok(backoff > 0 && backoff <= EVERY_MS, `backoff ${backoff} ms`);
      const slot = Math.round(ms(started.eventTime) + backoff);
      // The start event's time and the backoff come from one reading of the server clock: the slot is exact (1 ms
      // allowed for rounding of the protobuf timestamp and duration).
      const offset = Math.min(slot % EVERY_MS, EVERY_MS - (slot % EVERY_MS));
      assert.ok(offset <= 1, `run scheduled ${offset} ms off the schedule`);
      const taskStarted = events.find((ev) => ev.workflowTaskStartedEventAttributes);
      assert.ok(
        Math.round(ms(taskStarted?.eventTime)) >= slot,
        'first workflow task started before its slot',
      );
      return slot;
    });
    assert.ok(Math.abs(slots[1]! - slots[0]! - EVERY_MS) <= 1, `runs ${slots[1]! - slots[0]!} ms apart`);
  });
});
