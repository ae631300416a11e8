// Persistence throughput: workflow transitions per second per dialect at group sizes 1, 10 and 100, beside a
// single-row INSERT transactions-per-second figure measured in the same run on the same PostgreSQL (the physical
// anchor: what this machine's PostgreSQL commits at all). Not part of the test suite; run with
//   node --conditions=@odin/source --import tsx bench/persistence/run.ts
// Env: ODIN_BENCH_SECONDS (per measurement, default 3), ODIN_TEST_PG_URL, ODIN_TEST_MYSQL_URL, ODIN_BENCH_DIALECTS.
//
// One transition = an update of one run that appends 3 history events and writes 1 transfer task (the shape of a
// workflow-task completion). A group of G transitions = one commitShardBatch of G different runs of one shard.
// "across shards": a group of 100 transitions of 100 runs on 100 different shards = one commitShardBatches (the
// history host's group commit when its workflows spread over many shards).
// pg / mysql: 8 concurrent writers, each owning its own shard. SQLite: one writer (it has one connection).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createDatabaseIfMissing,
  type DialectName,
  dropDatabase,
  type ExecutionKey,
  openStore,
  type PersistenceStore,
  TASK_ID_RANGE_BITS,
  type Transition,
  type UpdateTransition,
  WorkflowStatus,
} from '@odin/persistence';
import { databaseOn, MYSQL_ADMIN_URL, PG_ADMIN_URL } from '@odin/test-databases';
import pg from 'pg';

const SECONDS = Number(process.env['ODIN_BENCH_SECONDS'] ?? 3);
const DIALECTS = (process.env['ODIN_BENCH_DIALECTS'] ?? 'postgres,mysql,sqlite').split(',') as DialectName[];
const GROUP_SIZES = [1, 10, 100];
/** The group-across-shards column: this many runs, each on its own shard, per commitShardBatches. */
const CROSS_SHARD_GROUP = 100;
const SERVER_CONCURRENCY = 8;
const EVENT_BYTES = 200;
const STATE_BYTES = 1024;

async function freshUrl(dialect: DialectName): Promise<{ url: string; cleanup: () => Promise<void> }> {
  const name = `odin_bench_${randomBytes(4).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'odin-bench-'));
    return {
      url: `sqlite:${join(dir, 'bench.db')}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const url = databaseOn(dialect === 'postgres' ? PG_ADMIN_URL : MYSQL_ADMIN_URL, name);
  await createDatabaseIfMissing(url);
  return { url, cleanup: () => dropDatabase(url) };
}

interface Run {
  key: ExecutionKey;
  version: number;
  next: number;
}

/**
 * One writer: its own shards and G runs spread round-robin over them; each commit advances every run by one
 * transition. One shard commits with commitShardBatch, several with one commitShardBatches.
 */
async function writer(
  store: PersistenceStore,
  shardIds: number[],
  group: number,
  deadline: { at: number },
  payload: Uint8Array,
  state: Uint8Array,
): Promise<number> {
  const leases = [];
  for (const id of shardIds) leases.push(await store.shards.acquireShard(id, `bench-${id}`, 600_000, 0));
  const shardOf = (i: number) => i % leases.length;
  const runs: Run[] = [];
  const creates: Transition[][] = leases.map(() => []);
  for (let i = 0; i < group; i++) {
    const shardId = leases[shardOf(i)]!.shardId;
    const key = { namespaceId: 'bench', workflowId: `wf-${shardId}-${i}`, runId: `run-${shardId}-${i}` };
    runs.push({ key, version: 1, next: 3 });
    creates[shardOf(i)]!.push({
      kind: 'create' as const,
      execution: { key, shardId, status: 1, nextEventId: 3, dbVersion: 1, state, startTime: 0, updatedAt: 0 },
      current: { mode: 'brand-new' as const },
      createRequestId: `req-${shardId}-${i}`,
      events: [
        { eventId: 1, data: payload },
        { eventId: 2, data: payload },
      ],
      tasks: [],
    });
  }
  await store.executions.commitShardBatches(leases.map((fence, s) => ({ fence, transitions: creates[s]! })));
  let seq = 0;
  let transitions = 0;
  while (performance.now() < deadline.at) {
    const batch: UpdateTransition[] = runs.map((r, i) => ({
      kind: 'update',
      key: r.key,
      expectedDbVersion: r.version,
      status: WorkflowStatus.RUNNING,
      nextEventId: r.next + 3,
      state,
      events: [0, 1, 2].map((i) => ({ eventId: r.next + i, data: payload })),
      tasks: [
        {
          category: 'transfer',
          taskId: leases[shardOf(i)]!.rangeId * 2 ** TASK_ID_RANGE_BITS + ++seq,
          fireTime: 0,
          namespaceId: 'bench',
          workflowId: r.key.workflowId,
          runId: r.key.runId,
          taskType: 'WorkflowTask',
          data: payload,
        },
      ],
    }));
    if (leases.length === 1) await store.executions.commitShardBatch(leases[0]!, batch);
    else {
      await store.executions.commitShardBatches(
        leases.map((fence, s) => ({ fence, transitions: batch.filter((_, i) => shardOf(i) === s) })),
      );
    }
    for (const r of runs) {
      r.version++;
      r.next += 3;
    }
    transitions += group;
  }
  return transitions;
}

/** `spread` shards per writer (1: a one-shard group); writer w owns shards firstShard + w·spread … + spread − 1. */
async function transitionsPerSecond(
  dialect: DialectName,
  group: number,
  spread: number,
  firstShard: number,
  url: string,
) {
  const concurrency = dialect === 'sqlite' ? 1 : SERVER_CONCURRENCY;
  const store = await openStore({
    url,
    poolSize: concurrency + 2,
    limits: { maxHistoryEvents: 10_000_000 },
  });
  try {
    const payload = new Uint8Array(EVENT_BYTES).fill(7);
    const state = new Uint8Array(STATE_BYTES).fill(3);
    const deadline = { at: Number.POSITIVE_INFINITY };
    const started = { at: 0 };
    // Set the deadline after setup so run creation is not timed.
    const writers = Array.from({ length: concurrency }, (_, w) =>
      writer(
        store,
        Array.from({ length: spread }, (_, s) => firstShard + w * spread + s),
        group,
        deadline,
        payload,
        state,
      ),
    );
    started.at = performance.now();
    deadline.at = started.at + SECONDS * 1000;
    const counts = await Promise.all(writers);
    const elapsed = (performance.now() - started.at) / 1000;
    return { tps: counts.reduce((a, b) => a + b, 0) / elapsed, concurrency };
  } finally {
    await store.close();
  }
}

/** Autocommit single-row INSERTs from 8 concurrent clients on the same PostgreSQL: the durable-commit ceiling. */
async function pgSingleInsertTps(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: SERVER_CONCURRENCY });
  // An idle client dropped by the server (another process's cleanup) must not crash the bench.
  pool.on('error', () => undefined);
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS bench_insert (id BIGSERIAL PRIMARY KEY, aid INTEGER NOT NULL, v TEXT NOT NULL)',
    );
    const end = performance.now() + SECONDS * 1000;
    let count = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: SERVER_CONCURRENCY }, async (_, c) => {
        while (performance.now() < end) {
          await pool.query('INSERT INTO bench_insert (aid, v) VALUES ($1, $2)', [c, 'payload']);
          count++;
        }
      }),
    );
    return count / ((performance.now() - start) / 1000);
  } finally {
    await pool.end();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);

console.log(
  `persistence bench: ${SECONDS}s per figure; transition = update + 3 events (${EVENT_BYTES} B) + 1 transfer task`,
);
const rows: string[] = [];
const anchors: number[] = [];
for (const dialect of DIALECTS) {
  const { url, cleanup } = await freshUrl(dialect);
  try {
    await (await openStore({ url, migrate: true, poolSize: 1 })).close();
    if (dialect === 'postgres') anchors.push(await pgSingleInsertTps(url));
    const cells: string[] = [];
    let conc = 1;
    for (const [i, group] of GROUP_SIZES.entries()) {
      const r = await transitionsPerSecond(dialect, group, 1, (i + 1) * 100, url);
      conc = r.concurrency;
      cells.push(`G=${String(group).padEnd(3)} ${fmt(r.tps)} tr/s`);
      console.log(
        `  ${dialect.padEnd(8)} group ${String(group).padStart(3)} x${conc}: ${fmt(r.tps)} transitions/s`,
      );
    }
    const across = await transitionsPerSecond(dialect, CROSS_SHARD_GROUP, CROSS_SHARD_GROUP, 1000, url);
    cells.push(`G=${CROSS_SHARD_GROUP} across ${CROSS_SHARD_GROUP} shards ${fmt(across.tps)} tr/s`);
    console.log(
      `  ${dialect.padEnd(8)} group ${CROSS_SHARD_GROUP} across ${CROSS_SHARD_GROUP} shards x${conc}: ${fmt(across.tps)} transitions/s`,
    );
    // Measured again after the transitions, so a change in the machine's load shows up as a spread.
    if (dialect === 'postgres') anchors.push(await pgSingleInsertTps(url));
    rows.push(`${dialect.padEnd(8)} x${conc}  ${cells.join('  ')}`);
  } finally {
    await cleanup();
  }
}
console.log(
  '\ndialect  conc  transitions per second by group size (last: one group spread over many shards)',
);
for (const r of rows) console.log(r);
if (anchors.length > 0) {
  console.log(
    `\nsame PostgreSQL, single-row INSERT autocommit x${SERVER_CONCURRENCY}: ${anchors.map((a) => fmt(a).trim()).join(' / ')} tx/s (before / after its transition runs)`,
  );
}
