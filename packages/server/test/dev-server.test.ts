import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryApi } from '@odin/api';
import { TemporalGrpcClient } from '@odin/frontend';
import { startDevServer } from '../src/dev-server.js';
import type { HistoryConstructor } from '../src/history-role.js';

/** A history role that serves nothing: these tests are about the process around it. */
const IdleHistory = class {
  started = false;
  start() {
    this.started = true;
  }
  stop() {}
} as unknown as HistoryConstructor;

async function unary(address: string, method: string, request: object): Promise<Record<string, unknown>> {
  const client = new TemporalGrpcClient(address);
  try {
    return await client.call(method, request);
  } finally {
    client.close();
  }
}

describe('startDevServer', () => {
  test('listens on a free port with default and extra namespaces, then stops', async () => {
    const server = await startDevServer({
      port: 0,
      namespaces: ['orders'],
      historyService: IdleHistory,
      shardCount: 4,
    });
    try {
      assert.ok(server.port > 0);
      assert.equal(server.address, `127.0.0.1:${server.port}`);
      const info = await unary(server.address, 'GetSystemInfo', {});
      assert.equal(info.serverVersion, '0.1.0');
      for (const namespace of ['default', 'orders']) {
        const described = (await unary(server.address, 'DescribeNamespace', { namespace })) as {
          namespaceInfo: { name: string };
        };
        assert.equal(described.namespaceInfo.name, namespace);
      }
    } finally {
      await server.stop();
    }
    await assert.rejects(unary(server.address, 'GetSystemInfo', {}));
  });

  test('serves Prometheus metrics on GET /metrics when asked to', async () => {
    const { createServer } = await import('node:net');
    const metricsPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const server = await startDevServer({ port: 0, metricsPort, historyService: IdleHistory, shardCount: 4 });
    try {
      assert.equal(server.metricsPort, metricsPort);
      await unary(server.address, 'GetSystemInfo', {});
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.match(
        text,
        /rpc_requests_total\{service="WorkflowService",method="GetSystemInfo",code="OK"\} 1/,
      );
      assert.match(text, /# HELP workflow_duration_seconds/);
    } finally {
      await server.stop();
    }
  });

  test('serves the HTTP API and the web UI only when asked, each on the port it was given', async () => {
    const plain = await startDevServer({ port: 0, historyService: IdleHistory, shardCount: 4, env: {} });
    try {
      assert.equal(plain.httpPort, undefined, 'an embedded server takes no fixed HTTP port unasked');
      assert.equal(plain.uiPort, undefined);
    } finally {
      await plain.stop();
    }
    const server = await startDevServer({
      port: 0,
      httpPort: 0,
      uiPort: 0,
      historyService: IdleHistory,
      shardCount: 4,
      env: {},
    });
    try {
      assert.ok(server.httpPort !== undefined && server.httpPort > 0);
      assert.ok(server.uiPort !== undefined && server.uiPort > 0);
      const namespace = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/namespaces/default`);
      assert.equal(namespace.status, 200);
      const body = (await namespace.json()) as { namespaceInfo: { name: string } };
      assert.equal(body.namespaceInfo.name, 'default');
      const openApi = await fetch(`http://127.0.0.1:${server.httpPort}/openapi.yaml`);
      assert.equal(openApi.status, 200);
      const page = await fetch(`http://127.0.0.1:${server.uiPort}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    } finally {
      await server.stop();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${server.httpPort}/api/v1/system-info`));
  });

  test('keeps namespaces in a SQLite file across restarts', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'odin-cli-'));
    try {
      const dbUrl = `sqlite:${join(dir, 'odin.db')}`;
      const first = await startDevServer({
        port: 0,
        dbUrl,
        namespaces: ['kept'],
        historyService: IdleHistory,
        shardCount: 4,
      });
      const firstId = (
        (await unary(first.address, 'DescribeNamespace', { namespace: 'kept' })) as {
          namespaceInfo: { id: string };
        }
      ).namespaceInfo.id;
      await first.stop();
      const second = await startDevServer({ port: 0, dbUrl, historyService: IdleHistory, shardCount: 4 });
      try {
        const again = (await unary(second.address, 'DescribeNamespace', { namespace: 'kept' })) as {
          namespaceInfo: { id: string };
        };
        assert.equal(again.namespaceInfo.id, firstId);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a dev database gets the small dev shard count unless the environment sets one', async () => {
    const { DEV_SHARD_COUNT } = await import('../src/dev-server.js');
    const dev = await startDevServer({ port: 0, historyService: IdleHistory, env: {} });
    try {
      assert.equal(dev.ctx.config.shardCount, DEV_SHARD_COUNT);
    } finally {
      await dev.stop();
    }
    const configured = await startDevServer({
      port: 0,
      historyService: IdleHistory,
      env: { HUGO_ORCHESTRATOR_SHARD_COUNT: '16' },
    });
    try {
      assert.equal(configured.ctx.config.shardCount, 16);
    } finally {
      await configured.stop();
    }
  });

  test('refuses a database created with another shard count', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'odin-cli-'));
    try {
      const dbUrl = `sqlite:${join(dir, 'odin.db')}`;
      const first = await startDevServer({ port: 0, dbUrl, historyService: IdleHistory, shardCount: 4 });
      await first.stop();
      await assert.rejects(
        startDevServer({ port: 0, dbUrl, historyService: IdleHistory, shardCount: 8 }),
        /created with 4 shards/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

export type { HistoryApi };
