import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { DatabaseUnavailableError, type PersistenceStore } from '../../src/contract.js';
import { openStore } from '../../src/open-store.js';
import { CRASH_EVENTS_PER_RUN, CRASH_RUNS_PER_BATCH, crashBatch, crashKey } from '../support/crash-batch.js';
import { MYSQL_ADMIN_URL, PG_ADMIN_URL } from '../support/databases.js';
import { T0 } from '../support/fixtures.js';
import type { SuiteContext } from './suite.js';

/** Counts which runs of a batch exist, checking each existing one has its whole history. */
async function presentRuns(store: PersistenceStore, batch: number, prefix: string): Promise<number> {
  let present = 0;
  for (let r = 0; r < CRASH_RUNS_PER_BATCH; r++) {
    const k = crashKey(batch, r, prefix);
    const row = await store.executions.getExecution(k);
    if (row === null) continue;
    present++;
    const h = await store.history.readHistory(k, { pageSize: 1000 });
    assert.equal(h.events.length, CRASH_EVENTS_PER_RUN, `run ${k.workflowId} has a partial history`);
    assert.ok(await store.executions.getCurrentExecution(k.namespaceId, k.workflowId));
  }
  return present;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Attempts of killMidTransaction before it gives up on catching a transaction before its COMMIT. */
const KILL_ATTEMPTS = 5;
const BATCHES = 4;

/**
 * Starts a big group commit on a one-connection store, kills that connection from outside once its transaction
 * has written rows, and checks that none of the batch is visible. A kill that lands while the backend is already
 * committing may find the commit record written: the client then sees a lost connection for a transaction that did
 * commit, which the contract allows (a commit's outcome is unknown when its connection dies, docs/persistence.md). So
 * the batch must be either wholly present or wholly absent; a wholly present one is tried again with new runs, until
 * a kill lands before COMMIT and the rollback is seen.
 */
async function killMidTransaction(
  ctx: SuiteContext,
  victimUrl: string,
  kill: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; attempt < KILL_ATTEMPTS; attempt++) {
    const prefix = `kill-${ctx.dialect}-${attempt}`;
    await killOneTransaction(victimUrl, kill, 41_000 + attempt, prefix);
    let present = 0;
    for (let b = 0; b < BATCHES; b++) present += await presentRuns(ctx.store, b, prefix);
    if (present === 0) return;
    assert.equal(
      present,
      BATCHES * CRASH_RUNS_PER_BATCH,
      'a killed transaction left part of its batch behind',
    );
  }
  assert.fail(
    `every one of ${KILL_ATTEMPTS} kills landed after the commit record; the test needs a bigger batch`,
  );
}

/** One group commit of BATCHES batches on a fresh one-connection store, killed from outside while it runs. */
async function killOneTransaction(
  victimUrl: string,
  kill: () => Promise<boolean>,
  shardId: number,
  prefix: string,
): Promise<void> {
  const victim = await openStore({ url: victimUrl, poolSize: 1 });
  try {
    const lease = await victim.shards.acquireShard(shardId, 'victim', 60_000, T0);
    // Several batches in one transaction: long enough to be caught half-way.
    const batch = Array.from({ length: BATCHES }, (_, b) => crashBatch(b, lease.shardId, prefix)).flat();
    const outcome = victim.executions.commitShardBatch(lease, batch).then(
      () => 'committed' as const,
      (error: unknown) => error,
    );
    let settled = false;
    void outcome.then(() => {
      settled = true;
    });
    let killed = false;
    while (!settled && !killed) {
      killed = await kill();
      if (!killed) await sleep(1);
    }
    const result = await outcome;
    assert.ok(killed, 'the transaction committed before it could be killed; the test needs a bigger batch');
    assert.ok(
      result instanceof DatabaseUnavailableError,
      `the killed commit must fail as DatabaseUnavailableError, got ${result instanceof Error ? result.stack : String(result)}`,
    );
    assert.equal(result.transitionIndex, undefined, 'a lost connection is not blamed on one transition');
  } finally {
    await victim.close().catch(() => undefined);
  }
}

export function defineCrashCases(ctx: SuiteContext): void {
  describe('crash safety', () => {
    test('a connection killed mid-transaction leaves nothing half-written', async () => {
      if (ctx.dialect === 'postgres') {
        const appName = `odin_kill_${process.pid}`;
        const u = new URL(ctx.db.url);
        u.searchParams.set('application_name', appName);
        const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        try {
          await killMidTransaction(ctx, u.toString(), async () => {
            const r = await admin.query(
              `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
               WHERE application_name = $1 AND backend_xid IS NOT NULL`,
              [appName],
            );
            return r.rows.some((row: { killed: boolean }) => row.killed);
          });
        } finally {
          await admin.end();
        }
      } else if (ctx.dialect === 'mysql') {
        const admin = await mysql.createConnection(MYSQL_ADMIN_URL.replace(/\/[^/]*$/, '/'));
        try {
          await killMidTransaction(ctx, ctx.db.url, async () => {
            // The group commit inserts history after every run's CAS statements: a connection busy inserting
            // history_events in this database is in the middle of the transaction.
            const [rows] = await admin.query(
              `SELECT id FROM information_schema.processlist
               WHERE db = ? AND info LIKE 'insert into \`history_events\`%'`,
              [ctx.db.name],
            );
            const ids = (rows as { id: number }[]).map((r) => r.id);
            for (const id of ids) await admin.query(`KILL ${Number(id)}`);
            return ids.length > 0;
          });
        } finally {
          await admin.end();
        }
      } else {
        await sqliteProcessKill(ctx);
      }
    });
  });
}

/** SQLite has no server connection to kill: kill the whole writing process instead, at a random moment. */
async function sqliteProcessKill(ctx: SuiteContext): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@odin/source',
      '--import',
      'tsx',
      fileURLToPath(new URL('../support/sqlite-crash-child.ts', import.meta.url)),
      ctx.db.url,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let acknowledged = -1;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') acknowledged = Number(line);
      if (acknowledged >= 3) resolve();
    });
    child.on('exit', (code) => reject(new Error(`crash child exited early with ${code}`)));
  });
  await sleep(Math.floor(Math.random() * 20));
  child.kill('SIGKILL');
  await exited;
  let b = 0;
  // Every acknowledged batch is durable and whole; batches in flight are whole or absent; nothing after them exists.
  for (; b <= acknowledged; b++) assert.equal(await presentRuns(ctx.store, b, 'crash'), CRASH_RUNS_PER_BATCH);
  // Batch b may have committed just before the kill without being printed, and b+1 may then have been in flight.
  for (const pending of [b, b + 1]) {
    const present = await presentRuns(ctx.store, pending, 'crash');
    assert.ok(
      present === 0 || present === CRASH_RUNS_PER_BATCH,
      `batch ${pending} is half-written (${present} runs)`,
    );
  }
  assert.equal(await presentRuns(ctx.store, b + 2, 'crash'), 0);
}
