import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import type { PersistenceStore } from '@odin/persistence';
import {
  advance,
  cmd,
  complete,
  eventNames,
  FakeMatching,
  pollWorkflowTask,
  settle,
  signal,
  start,
  startHistory,
} from './harness.js';
import type { Harness } from './harness.js';

describe('restart recovery and shard fencing (sqlite file)', () => {
  let dir: string;
  let url: string;
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const stores: PersistenceStore[] = [];

  async function host(matching = new FakeMatching(), hostId = 'host-a'): Promise<Harness> {
    const store = await openStore({ url, migrate: true, clock });
    stores.push(store);
    const { history } = await startHistory(store, clock, matching, hostId);
    await settle();
    return {
      clock,
      store,
      matching,
      history,
      close: async () => {
        await history.stop();
      },
    };
  }

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'odin-history-'));
    url = `sqlite:${join(dir, 'odin.db')}`;
  });
  after(async () => {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a new host re-dispatches transfer tasks matching never took, and fires timers set before the restart', async () => {
    const down = new FakeMatching();
    down.failAdds = true;
    const a = await host(down);
    await start(a, 'r-transfer');
    assert.equal(down.workflowTasks.length, 0);

    const b = await host(new FakeMatching(), 'host-b');
    assert.deepEqual(
      b.matching.workflowTasks.map((t) => t.workflowId),
      ['r-transfer'],
    );
    const wft = await pollWorkflowTask(b, 'r-transfer');
    await complete(b, wft.taskToken, [cmd.timer('t', 30)]);
    await b.close();
    await a.close();

    const c = await host(new FakeMatching(), 'host-c');
    await advance(c, 30_000);
    assert.deepEqual((await eventNames(c, 'r-transfer')).slice(-3), [
      'TIMER_STARTED',
      'TIMER_FIRED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    assert.deepEqual(
      c.matching.workflowTasks.map((t) => t.workflowId),
      ['r-transfer'],
    );
    await c.close();
  });

  test('a hand-off matching refused is retried by the outbox scan of the same host', async () => {
    const flaky = new FakeMatching();
    flaky.failAdds = true;
    const a = await host(flaky, 'host-retry');
    await start(a, 'r-retry');
    assert.equal(flaky.workflowTasks.length, 0);
    flaky.failAdds = false;
    await advance(a, 5_000);
    assert.deepEqual(
      flaky.workflowTasks.map((t) => t.workflowId),
      ['r-retry'],
    );
    await a.close();
  });

  test('a host whose shard was taken over writes nothing and answers UNAVAILABLE', async () => {
    const a = await host(new FakeMatching(), 'host-a');
    await start(a, 'f-fence');
    const before = await eventNames(a, 'f-fence');
    const b = await host(new FakeMatching(), 'host-b');
    await assert.rejects(signal(a, 'f-fence', 'from-a'), (e: { code?: number }) => e.code === 14);
    await assert.rejects(signal(a, 'f-fence', 'from-a-again'), (e: { code?: number }) => e.code === 14);
    assert.deepEqual(await eventNames(b, 'f-fence'), before);
    await signal(b, 'f-fence', 'from-b');
    assert.deepEqual(await eventNames(b, 'f-fence'), [...before, 'WORKFLOW_EXECUTION_SIGNALED']);
    await a.close();
    await b.close();
  });
});
