// Local activities end to end on the dev server, and their histories replayed across SDKs: what our worker
// records replays in the official SDK 1.24's replayer, and what the official worker records replays in ours.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api/public';
import { Context } from '@temporalio/activity';
import { ApplicationFailure as OfficialApplicationFailure } from '@temporalio/common';
import { Client, Connection as OfficialConnection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker as OfficialWorker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import { activityInfo } from '../src/activity/index.js';
import { Connection, WorkflowClient } from '../src/client/index.js';
import { ApplicationFailure } from '../src/common/failure.js';
import { LOCAL_ACTIVITY_MARKER, readLocalActivityMarkerData } from '../src/common/local-activity-marker.js';
import type { IHistoryEvent } from '../src/common/proto-types.js';
import { assertDeterministicReplay } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import * as local from './workflows/local.js';

const EventType = temporal.api.enums.v1.EventType;

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let worker: Worker;
let running: Promise<void>;
let official: Client;
let officialConnection: OfficialConnection;
let nativeConnection: NativeConnection;
let officialWorker: OfficialWorker;
let officialRunning: Promise<void>;
let bundle: WorkflowBundleWithSourceMap;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;
const slow = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('slow done'), ms));

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection });
  worker = await Worker.create({
    connection,
    taskQueue: 'la-ours',
    workflows: local,
    activities: {
      greet: async (name: string) => `Hello, ${name}!`,
      flaky: async (until: number) => {
        const { attempt } = activityInfo();
        if (attempt < until) throw new Error(`attempt ${attempt} failed`);
        return `ok at ${attempt}`;
      },
      nope: async () => {
        throw ApplicationFailure.nonRetryable('nope', 'Nope');
      },
      slow,
    },
    shutdownGraceMs: 1000,
  });
  running = worker.run();
  officialConnection = await OfficialConnection.connect({ address: server.address });
  official = new Client({ connection: officialConnection });
  bundle = await bundleWorkflowCode({
    workflowsPath: new URL('./official-workflows/local.ts', import.meta.url).pathname,
    logger: new DefaultLogger('WARN'),
  });
  nativeConnection = await NativeConnection.connect({ address: server.address });
  officialWorker = await OfficialWorker.create({
    connection: nativeConnection,
    taskQueue: 'la-official',
    workflowBundle: bundle,
    activities: {
      greet: async (name: string) => `Hello, ${name}!`,
      flaky: async (until: number) => {
        const { attempt } = Context.current().info;
        if (attempt < until) throw new Error(`attempt ${attempt} failed`);
        return `ok at ${attempt}`;
      },
      nope: async () => {
        throw OfficialApplicationFailure.nonRetryable('nope', 'Nope');
      },
      slow,
    },
  });
  officialRunning = officialWorker.run();
});

after(async () => {
  worker.shutdown();
  officialWorker.shutdown();
  await Promise.all([running, officialRunning]);
  connection.close();
  await officialConnection.close();
  await nativeConnection.close();
  await server.stop();
});

const expected = [
  'Hello, Ada!',
  'Hello, a!',
  'Hello, b!',
  'ok at 3',
  'ok at 3',
  'ApplicationFailure:Nope:nope',
];

function markers(history: readonly IHistoryEvent[]) {
  return history
    .filter((e) => e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER)
    .map((e) => ({
      data: readLocalActivityMarkerData(e.markerRecordedEventAttributes?.details)!,
      failed: Boolean(e.markerRecordedEventAttributes?.failure),
      keys: JSON.parse(
        new TextDecoder().decode(e.markerRecordedEventAttributes!.details!['data']!.payloads![0]!.data!),
      ) as Record<string, unknown>,
    }));
}

async function replayInOfficial(workflowId: string): Promise<void> {
  const history = await official.workflow.getHandle(workflowId).fetchHistory();
  await OfficialWorker.runReplayHistory(
    { workflowBundle: bundle, replayName: workflowId },
    history,
    workflowId,
  );
}

describe('local activities', () => {
  test('our worker runs local activities (concurrent, local retries, timer backoff, failure) and records core markers', async () => {
    const workflowId = id('la');
    const result = await client.execute(local.localActivities, {
      workflowId,
      taskQueue: 'la-ours',
      args: ['Ada'],
    });
    assert.deepEqual(result, expected);
    const history = await client.fetchHistory(workflowId);
    const recorded = markers(history);
    // greet ×3, flaky retried locally (one marker, attempt 3), flaky with timer backoff (attempts 1, 2 fail with
    // a backoff, 3 completes), nope.
    assert.deepEqual(
      recorded.map((m) => [m.data.activityType, m.data.attempt, m.failed, m.data.backoffMs !== undefined]),
      [
        ['greet', 1, false, false],
        ['greet', 1, false, false],
        ['greet', 1, false, false],
        ['flaky', 3, false, false],
        ['flaky', 1, true, true],
        ['flaky', 2, true, true],
        ['flaky', 3, false, false],
        ['nope', 1, true, false],
      ],
    );
    assert.deepEqual(
      recorded.map((m) => m.data.seq),
      recorded.map((m) => Number(m.data.activityId)),
    );
    const backoffTimers = history.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
    assert.equal(backoffTimers.length, 3, 'one sleep and two backoff timers');
    await assertDeterministicReplay(history, local);
    await replayInOfficial(workflowId);
  });

  test('the official worker writes the same markers, and its history replays in our runtime', async () => {
    const workflowId = id('la-official');
    const handle = await official.workflow.start('localActivities', {
      taskQueue: 'la-official',
      workflowId,
      args: ['Ada'],
    });
    assert.deepEqual(await handle.result(), expected);
    const theirs = markers(await client.fetchHistory(workflowId));
    const oursId = id('la');
    await client.execute(local.localActivities, { workflowId: oursId, taskQueue: 'la-ours', args: ['Ada'] });
    const ours = markers(await client.fetchHistory(oursId));
    assert.deepEqual(
      ours.map((m) => [m.data.seq, m.data.activityType, m.data.attempt, m.failed, m.data.backoffMs]),
      theirs.map((m) => [m.data.seq, m.data.activityType, m.data.attempt, m.failed, m.data.backoffMs]),
    );
    assert.deepEqual(Object.keys(ours[0]!.keys), Object.keys(theirs[0]!.keys), 'the same data layout');
    await assertDeterministicReplay(await client.fetchHistory(workflowId), local);
  });

  test('start-to-close and schedule-to-close timeouts, in both SDKs, replay across them', async () => {
    const ours = id('la-timeouts');
    const result = await client.execute(local.localActivityTimeouts, {
      workflowId: ours,
      taskQueue: 'la-ours',
    });
    const theirs = id('la-timeouts-official');
    const officialResult = await official.workflow.execute('localActivityTimeouts', {
      taskQueue: 'la-official',
      workflowId: theirs,
    });
    assert.deepEqual(result, officialResult);
    assert.match(
      result[0]!,
      /^start-to-close: ActivityFailure\(Local Activity timed out\) <- TimeoutFailure/,
    );
    assert.match(
      result[1]!,
      /^schedule-to-close: ActivityFailure\(Local Activity timed out\) <- TimeoutFailure/,
    );
    await assertDeterministicReplay(await client.fetchHistory(theirs), local);
    await assertDeterministicReplay(await client.fetchHistory(ours), local);
    await replayInOfficial(ours);
  });
});
