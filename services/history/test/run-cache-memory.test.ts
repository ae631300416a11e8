import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodingOf, type HistoryEvent } from '../src/util/codec.js';
import {
  cmd,
  complete,
  ctx,
  type Harness,
  NS,
  payloads,
  pollActivityTask,
  pollWorkflowTask,
  setup,
  start,
} from './harness.js';

/** W1 of the benchmarks: one activity, then complete. Payloads are the harness's (slices of Node's buffer pool). */
async function runOneActivityWorkflow(h: Harness, workflowId: string): Promise<void> {
  await start(h, workflowId);
  const first = await pollWorkflowTask(h, workflowId);
  await complete(h, first.taskToken, [cmd.activity('a')]);
  const activity = await pollActivityTask(h, workflowId);
  await h.history.respondActivityTaskCompleted(
    NS,
    { namespace: NS.name, taskToken: activity.taskToken, result: payloads('a-done'), identity: 'worker' },
    ctx(),
  );
  const second = await pollWorkflowTask(h, workflowId);
  await complete(h, second.taskToken, [cmd.complete('done')]);
}

/** The ArrayBuffers an event's bytes live in: its encoding's and those of its payloads' data and metadata. */
function memoryOf(event: HistoryEvent, into: Set<ArrayBufferLike>): void {
  into.add(encodingOf(event).buffer);
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) into.add(value.buffer);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) visit(v);
  };
  visit(event);
}

test('the run cache holds closed runs compact, within its bound, keeping alive no memory but their own', async () => {
  // 4 shards of 16 runs: far fewer than the runs that go through it.
  const h = await setup('sqlite::memory:', { cacheSizePerHost: 64 });
  try {
    for (let i = 0; i < 120; i++) await runOneActivityWorkflow(h, `wf-mem-${i}`);

    let runs = 0;
    let historyBytes = 0;
    const memory = new Set<ArrayBufferLike>();
    for (const shard of h.history.shards.all()) {
      for (const run of shard.cache.runs()) {
        runs++;
        const history = run.history;
        assert.ok(history, 'a run committed here is cached with its history');
        assert.ok(history.isCompact, 'a closed run holds its encodings only');
        assert.equal(history.length, run.ms.nextEventId - 1);
        historyBytes += run.ms.historySizeBytes;
        for (const event of history.slice(0, history.length)) memoryOf(event, memory);
      }
    }
    assert.ok(runs > 0 && runs <= 64, `${runs} runs cached, at most 64`);
    // Everything the cached histories keep alive is their own encoded bytes: no pooled slab (64 KiB on Node 24) or
    // request buffer comes with them.
    let kept = 0;
    for (const buffer of memory) kept += buffer.byteLength;
    assert.ok(
      kept <= historyBytes,
      `the cached histories keep ${kept} bytes alive for ${historyBytes} of events`,
    );
  } finally {
    await h.close();
  }
});
