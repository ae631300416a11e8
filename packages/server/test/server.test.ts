// startServer in each topology: every role in one process, every role as a cluster member, and a cluster of two
// members (history + matching, frontend + worker) on one SQLite file. Each starts, carries a workflow task from
// the frontend through history and matching, serves the HTTP API (and the UI) wherever the frontend runs, and stops
// its parts in STOP_ORDER within a bound.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TemporalGrpcClient } from '@odin/frontend';
import { loadConfig, type OdinConfigInput } from '@odin/runtime';
import { type RunningServer, type ServerPart, STOP_ORDER, startServer } from '../src/index.js';

/** What a clean stop may take here: the frontend's and internal servers' grace is 2 s, idle parts stop at once. */
const STOP_BOUND_MS = 5_000;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'odin-server-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function config(overrides: Partial<OdinConfigInput> = {}) {
  return loadConfig(
    {},
    {
      frontendPort: 0,
      historyPort: 0,
      matchingPort: 0,
      httpPort: 0,
      uiPort: 0,
      logLevel: 'silent',
      shardCount: 4,
      membershipHeartbeatIntervalMs: 100,
      membershipTtlMs: 2_000,
      ...overrides,
    },
  );
}

/** Retries while the cluster settles (shards acquired, members seen): UNAVAILABLE until then. */
async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not succeed in ${timeoutMs} ms`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Starts a workflow through the frontend at `address` and takes its first workflow task from the same frontend. */
async function carryOneTask(address: string): Promise<void> {
  const client = new TemporalGrpcClient(address);
  const taskQueue = `q-${randomUUID()}`;
  const workflowId = `wf-${randomUUID()}`;
  try {
    const started = await eventually('StartWorkflowExecution', () =>
      client.call(
        'StartWorkflowExecution',
        {
          namespace: 'default',
          workflowId,
          workflowType: { name: 'Assembly' },
          taskQueue: { name: taskQueue },
          requestId: randomUUID(),
          identity: 'server-test',
        },
        { deadline: new Date(Date.now() + 5_000) },
      ),
    );
    assert.match(String(started.runId), /^[0-9a-f-]{36}$/);
    const task = await eventually('PollWorkflowTaskQueue', async () => {
      const polled = await client.call(
        'PollWorkflowTaskQueue',
        { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'server-test' },
        { deadline: new Date(Date.now() + 5_000) },
      );
      if (!polled.taskToken || (polled.taskToken as Uint8Array).length === 0) throw new Error('empty poll');
      return polled;
    });
    assert.equal((task.workflowExecution as { workflowId: string }).workflowId, workflowId);
  } finally {
    client.close();
  }
}

/**
 * Starts a workflow over the HTTP API on `httpPort` and reads it back: the HTTP API calls the frontend of its own
 * process, which reaches history wherever it runs.
 */
async function startOverHttp(httpPort: number): Promise<void> {
  const base = `http://127.0.0.1:${httpPort}/api/v1/namespaces/default`;
  const workflowId = `http-${randomUUID()}`;
  const started = await eventually('POST …/workflows/{id}', async () => {
    const response = await fetch(`${base}/workflows/${workflowId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflowType: { name: 'Assembly' }, taskQueue: { name: `q-${randomUUID()}` } }),
    });
    const body = (await response.json()) as { runId?: string };
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
    return body;
  });
  assert.match(String(started.runId), /^[0-9a-f-]{36}$/);
  const described = await fetch(`${base}/workflows/${workflowId}`);
  assert.equal(described.status, 200);
  const info = (await described.json()) as { workflowExecutionInfo: { execution: { runId: string } } };
  assert.equal(info.workflowExecutionInfo.execution.runId, started.runId);
}

async function stopWithinBound(server: RunningServer): Promise<ServerPart[]> {
  const report = await server.stopWithReport();
  assert.ok(report.ms < STOP_BOUND_MS, `stopped in ${report.ms} ms, more than ${STOP_BOUND_MS}`);
  const parts = report.parts.map((p) => p.part);
  assert.deepEqual(
    parts,
    STOP_ORDER.filter((part) => parts.includes(part)),
    'parts stop in STOP_ORDER',
  );
  return parts;
}

describe('startServer', () => {
  test('every role in one process: serves, then stops HTTP, frontend, worker, roles and store in order', async () => {
    const server = await startServer({
      config: config(),
      dbUrl: `sqlite:${join(dir, 'all.db')}`,
      migrate: true,
      httpApi: true,
      webUi: true,
    });
    try {
      assert.deepEqual([...server.services].sort(), ['frontend', 'history', 'matching', 'worker']);
      assert.equal(server.historyAddress, undefined, 'no internal gRPC server in one process');
      await carryOneTask(server.address ?? '');
      await startOverHttp(server.httpPort ?? 0);
      const page = await fetch(`http://127.0.0.1:${server.uiPort}/workflows`);
      assert.equal(page.status, 200, 'the UI answers its single-page app on any path');
      assert.match(await page.text(), /<div id="root">/);
    } finally {
      assert.deepEqual(await stopWithinBound(server), [
        'http',
        'frontend',
        'worker',
        'signal',
        'matching',
        'history',
        'store',
      ]);
    }
    // stop() after stop is the same stop.
    await server.stop();
  });

  test('every role as one cluster member: routed through its own ring to its own roles', async () => {
    const server = await startServer({
      config: config({ hostId: 'solo' }),
      dbUrl: `sqlite:${join(dir, 'member.db')}`,
      migrate: true,
      services: new Set(['frontend', 'history', 'matching', 'worker'] as const),
      httpApi: true,
    });
    try {
      assert.match(server.historyAddress ?? '', /^127\.0\.0\.1:\d+$/);
      assert.match(server.matchingAddress ?? '', /^127\.0\.0\.1:\d+$/);
      assert.equal(server.uiPort, undefined, 'no UI unless asked');
      await carryOneTask(server.address ?? '');
      await startOverHttp(server.httpPort ?? 0);
    } finally {
      assert.deepEqual(await stopWithinBound(server), [
        'membership',
        'http',
        'frontend',
        'worker',
        'signal',
        'matching',
        'history',
        'routers',
        'internal-rpc',
        'store',
      ]);
    }
  });

  test('two cluster members on one database: the frontend reaches history and matching of the other', async () => {
    const dbUrl = `sqlite:${join(dir, 'cluster.db')}`;
    const roles = await startServer({
      config: config({ hostId: 'roles' }),
      dbUrl,
      migrate: true,
      services: new Set(['history', 'matching'] as const),
      // Asked for, but the HTTP API and the UI are the frontend's: a process without it serves neither.
      httpApi: true,
      webUi: true,
    });
    let front: RunningServer | undefined;
    try {
      front = await startServer({
        config: config({ hostId: 'front' }),
        dbUrl,
        services: new Set(['frontend', 'worker'] as const),
        httpApi: true,
        webUi: true,
      });
      assert.equal(roles.address, undefined, 'no frontend where none was asked for');
      assert.equal(roles.httpPort, undefined, 'no HTTP API without the frontend');
      assert.equal(roles.uiPort, undefined, 'no UI without the frontend');
      assert.equal(front.historyAddress, undefined);
      await carryOneTask(front.address ?? '');
      await startOverHttp(front.httpPort ?? 0);
      const system = await fetch(`http://127.0.0.1:${front.uiPort}/api/v1/system-info`);
      assert.equal(system.status, 200, 'the UI port serves the same API');
    } finally {
      const stopped = await Promise.allSettled([
        front ? stopWithinBound(front) : Promise.resolve([]),
        stopWithinBound(roles),
      ]);
      const [frontParts, rolesParts] = stopped.map((s) => {
        if (s.status === 'rejected') throw s.reason;
        return s.value;
      });
      assert.deepEqual(frontParts, [
        'membership',
        'http',
        'frontend',
        'worker',
        'signal',
        'routers',
        'store',
      ]);
      assert.deepEqual(rolesParts, [
        'membership',
        'signal',
        'matching',
        'history',
        'routers',
        'internal-rpc',
        'store',
      ]);
    }
  });

  test('a start that fails half-way stops what it had started and rejects', async () => {
    const first = await startServer({
      config: config(),
      dbUrl: `sqlite:${join(dir, 'first.db')}`,
      migrate: true,
    });
    try {
      const taken = first.port ?? 0;
      const began = Date.now();
      await assert.rejects(
        startServer({
          config: config({ frontendPort: taken }),
          dbUrl: `sqlite:${join(dir, 'second.db')}`,
          migrate: true,
        }),
        /address|in use|bind/i,
      );
      assert.ok(Date.now() - began < STOP_BOUND_MS + 2_000);
    } finally {
      await first.stop();
    }
  });
});
