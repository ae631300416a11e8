import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { type CompatEnv, compatSuite, workflowBundle } from './harness.js';

const versionsDir = fileURLToPath(new URL('./versions/', import.meta.url));
const bundles = new Map<string, Promise<{ code: string }>>();

/** A workflow bundle of one file under versions/: the same workflow types as the main bundle, other code. */
function versionBundle(name: 'v1' | 'unpatched'): Promise<{ code: string }> {
  let bundle = bundles.get(name);
  if (!bundle) {
    bundle = bundleWorkflowCode({
      workflowsPath: join(versionsDir, `${name}.ts`),
      logger: new DefaultLogger('WARN'),
    });
    bundles.set(name, bundle);
  }
  return bundle;
}

type History = Awaited<ReturnType<ReturnType<CompatEnv['client']['workflow']['getHandle']>['fetchHistory']>>;

async function historyUntil(e: CompatEnv, workflowId: string, ok: (h: History) => boolean): Promise<History> {
  const end = Date.now() + 30_000;
  for (;;) {
    const history = await e.client.workflow.getHandle(workflowId).fetchHistory();
    if (ok(history) || Date.now() > end) return history;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// No workflow cache, so no sticky queue: each task goes to whichever worker polls the normal queue.
const uncached = { maxCachedWorkflows: 0 };

compatSuite('model 5: versioning', (env) => {
  test('an unpatched change fails workflow tasks as non-deterministic until a patched worker completes the run', async () => {
    const e = env();
    const taskQueue = e.taskQueue('versioning');
    const workflowId = `versioned-${taskQueue}`;
    const oldWorker = await e.startWorker(taskQueue, {
      ...uncached,
      workflowBundle: await versionBundle('v1'),
    });
    // A short workflow task timeout: the task v1 held when it stopped is handed on quickly.
    const handle = await e.client.workflow.start('versioned', {
      taskQueue,
      workflowId,
      workflowTaskTimeout: '2 seconds',
    });
    // Version 1 has scheduled and finished its activity: the run's history now pins version 1's command order.
    const waiting = await historyUntil(e, workflowId, (h) =>
      (h.events ?? []).some((ev) => ev.activityTaskCompletedEventAttributes),
    );
    assert.ok(
      waiting.events?.some((ev) => ev.activityTaskCompletedEventAttributes),
      `v1 did not run its activity: ${JSON.stringify(waiting.events?.map((ev) => ev.eventType))}`,
    );
    await oldWorker.stop();

    const broken = await e.startWorker(taskQueue, {
      ...uncached,
      workflowBundle: await versionBundle('unpatched'),
    });
    await handle.signal('release');
    const failed = await historyUntil(e, workflowId, (h) =>
      (h.events ?? []).some((ev) => ev.workflowTaskFailedEventAttributes),
    );
    await broken.stop();
    const failure = failed.events?.find(
      (ev) => ev.workflowTaskFailedEventAttributes,
    )?.workflowTaskFailedEventAttributes;
    assert.ok(failure, 'the unpatched worker did not fail the workflow task');
    assert.match(failure.failure?.message ?? '', /[Nn]ondetermin/);
    assert.equal((await handle.describe()).status.name, 'RUNNING');

    const [result, fresh] = await e.withWorker(
      taskQueue,
      async () => [
        await handle.result(),
        await e.client.workflow.execute('deprecatedVersioned', {
          taskQueue,
          workflowId: `fresh-${taskQueue}`,
        }),
      ],
      uncached,
    );
    assert.equal(result, 'Hello, v1!');
    assert.equal(fresh, 'timer');
  });

  test('histories replay under patched() and deprecatePatch(), and not under an unpatched change', async () => {
    const e = env();
    const taskQueue = e.taskQueue('replay');
    const [v1History, patchedHistory] = await e.withWorker(
      taskQueue,
      async () => {
        const v1 = await e.client.workflow.start('versioned', {
          taskQueue,
          workflowId: `replay-v1-${taskQueue}`,
        });
        await historyUntil(e, v1.workflowId, (h) =>
          (h.events ?? []).some((ev) => ev.activityTaskCompletedEventAttributes),
        );
        await v1.signal('release');
        assert.equal(await v1.result(), 'Hello, v1!');
        const p = await e.client.workflow.start('deprecatedVersioned', {
          taskQueue,
          workflowId: `replay-patched-${taskQueue}`,
        });
        assert.equal(await p.result(), 'timer');
        return [await v1.fetchHistory(), await p.fetchHistory()];
      },
      { ...uncached, workflowBundle: await versionBundle('v1') },
    );
    const main = await workflowBundle();
    // v1 history (no marker) under the patched code takes the old branch.
    await Worker.runReplayHistory({ workflowBundle: main }, v1History, 'v1-under-patched');
    // History written with the patch marker replays once the patch is deprecated.
    await Worker.runReplayHistory({ workflowBundle: main }, patchedHistory, 'patched-under-deprecated');
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowBundle: await versionBundle('unpatched') },
        v1History,
        'v1-under-unpatched',
      ),
      (err: Error) => err.name === 'DeterminismViolationError',
    );
  });
});
