// Health of a server process: the metrics port's /healthz (liveness) and /readyz (readiness), and grpc.health.v1 on
// the role's port, through starting (history held back by a gate), ready, and draining.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type Client,
  type ClientReadableStream,
  credentials,
  makeGenericClientConstructor,
  type ServiceError as GrpcError,
  status,
} from '@grpc/grpc-js';
import { HISTORY_SERVICE, healthServiceDefinition, MATCHING_SERVICE, ServingStatus } from '@odin/api';
import { loadConfig } from '@odin/runtime';
import { freePort } from '@odin/test-ports';
import {
  defaultHistoryService,
  type HistoryConstructor,
  type RunningServer,
  startServer,
} from '../src/index.js';

/** The generic client's methods, typed. */
interface HealthMethods {
  Check(
    request: { service: string },
    callback: (error: GrpcError | null, response?: { status: number }) => void,
  ): void;
  Watch(request: { service: string }): ClientReadableStream<{ status: number }>;
}

const LIMIT = { timeout: 60_000 };

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'odin-health-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function readyz(port: number): Promise<{
  status: number;
  body: { ready: boolean; checks: { name: string; ok: boolean; detail?: string }[] };
}> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: response.status, body: (await response.json()) as never };
}

async function until<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function check(client: Client, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    (client as unknown as HealthMethods).Check(
      { service },
      (error: GrpcError | null, response?: { status: number }) =>
        error ? reject(error) : resolve(response?.status ?? -1),
    );
  });
}

describe('server health', () => {
  test(
    'starting: alive, not ready, NOT_SERVING; ready: SERVING with every check; draining: NOT_SERVING',
    LIMIT,
    async () => {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      // History's start (shard acquisition) waits for the test: the process is then visibly "starting".
      const GatedHistory: HistoryConstructor = class extends defaultHistoryService {
        override async start(signal: AbortSignal): Promise<void> {
          await gate;
          await super.start(signal);
        }
      };
      const [metricsPort, historyPort] = [await freePort(), await freePort()];
      const starting = startServer({
        config: loadConfig(
          {},
          {
            historyPort,
            matchingPort: 0,
            metricsPort,
            logLevel: 'silent',
            shardCount: 4,
            membershipHeartbeatIntervalMs: 100,
            membershipTtlMs: 2_000,
          },
        ),
        dbUrl: `sqlite:${join(dir, 'health.db')}`,
        migrate: true,
        services: new Set(['history', 'matching'] as const),
        historyService: GatedHistory,
      });
      const Ctor = makeGenericClientConstructor(healthServiceDefinition(), 'Health');
      const client = new Ctor(`127.0.0.1:${historyPort}`, credentials.createInsecure());
      let server: RunningServer | undefined;
      try {
        const alive = await until('GET /healthz', async () => {
          const response = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
          return response.status;
        });
        assert.equal(alive, 200, 'alive while starting');
        const notReady = await readyz(metricsPort);
        assert.equal(notReady.status, 503);
        assert.deepEqual(notReady.body.checks[0], { name: 'started', ok: false, detail: 'starting' });
        assert.equal(await until('the history port', () => check(client, '')), ServingStatus.NOT_SERVING);
        assert.equal(await check(client, HISTORY_SERVICE), ServingStatus.NOT_SERVING);

        open();
        server = await starting;
        const ready = await readyz(metricsPort);
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.deepEqual(
          ready.body.checks.map((c) => [c.name, c.ok]),
          [
            ['started', true],
            ['persistence', true],
            ['history-shards', true],
          ],
        );
        assert.equal(await check(client, ''), ServingStatus.SERVING);
        assert.equal(await check(client, HISTORY_SERVICE), ServingStatus.SERVING);
        await assert.rejects(
          check(client, MATCHING_SERVICE),
          (error: GrpcError) => error.code === status.NOT_FOUND,
        );

        // Draining: a Watch on the port hears NOT_SERVING as soon as the stop begins, then its stream ends.
        const stream = (client as unknown as HealthMethods).Watch({
          service: HISTORY_SERVICE,
        });
        const seen: number[] = [];
        const running = server;
        const ended = new Promise<void>((resolve) => {
          stream.on('data', (message: { status: number }) => {
            seen.push(message.status);
            if (seen.length === 1) void running.stop();
          });
          stream.on('end', () => resolve());
          stream.on('error', () => resolve());
        });
        await ended;
        assert.deepEqual(seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      } finally {
        open();
        client.close();
        await (server ?? (await starting.catch(() => undefined)))?.stop();
      }
    },
  );
});
