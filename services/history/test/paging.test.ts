import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import { HistoryService } from '../src/index.js';
import { cmd, complete, ctx, FakeMatching, NS, pollWorkflowTask, signal, start } from './harness.js';
import type { Harness } from './harness.js';

describe('history pages', () => {
  let h: Harness;
  before(async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
    const matching = new FakeMatching();
    const history = new HistoryService(
      { clock, store },
      { matching, shardCount: 2, options: { historyPageSize: 4 } },
    );
    await history.start();
    h = {
      clock,
      store,
      matching,
      history,
      close: async () => {
        await history.stop();
        await store.close();
      },
    };
  });
  after(async () => {
    await h.close();
  });

  test('a large poll response is paged with a pinned token and the last page carries the transient task', async () => {
    await start(h, 'paged');
    const wft = await pollWorkflowTask(h, 'paged');
    await complete(h, wft.taskToken, [cmd.timer('t1', 600), cmd.timer('t2', 600)]);
    await signal(h, 'paged', 's1');
    const wft2 = await pollWorkflowTask(h, 'paged');
    // Fail attempt 1 so attempt 2 is transient.
    await h.history.respondWorkflowTaskFailed(NS, { namespace: NS.name, taskToken: wft2.taskToken }, ctx());
    const task = await pollWorkflowTask(h, 'paged');
    assert.equal(task.attempt, 2);
    assert.equal(task.history?.events?.length, 4);
    assert.ok(task.nextPageToken && task.nextPageToken.length > 0);
    // A signal arriving meanwhile must not show up in the pinned pages.
    await signal(h, 'paged', 'late');
    const ids = (task.history?.events ?? []).map((e) => Number(e.eventId));
    let token: Uint8Array | null | undefined = task.nextPageToken;
    while (token && token.length > 0) {
      const page = await h.history.getWorkflowExecutionHistory(
        NS,
        { namespace: NS.name, execution: { workflowId: 'paged' }, nextPageToken: token },
        ctx(),
      );
      ids.push(...(page.history?.events ?? []).map((e) => Number(e.eventId)));
      token = page.nextPageToken;
    }
    assert.deepEqual(
      ids,
      Array.from({ length: Number(task.startedEventId) }, (_, i) => i + 1),
    );
  });
});
