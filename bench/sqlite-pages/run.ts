// What SQLite writes per workflow: runs W1 (or ODIN_PAGES_WORKLOAD=W2) through `@odin/sdk` against `server start-dev`
// on a SQLite file, and prints per workflow of the measured phase the statements the server executed (by verb and
// table), the WAL frames written (pages, by the table or index they belong to), the commits, and the database's
// pages by table at the end. `npm run bench -- sqlite-pages/run.ts` (N=1000 CONCURRENCY=64 by default).
//
// How: statements are counted inside the server by count-statements.mjs (loaded with --import). WAL frames are read
// from the -wal file itself: a read transaction held open from the start of the phase stops SQLite from restarting
// the WAL (and a checkpoint from copying past it), so every frame the phase commits is appended to the file; the
// frames' page numbers are then mapped to tables and indexes with the dbstat virtual table. Not part of the tests.
import type { ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowClient } from '@odin/sdk';
import { freePort } from '@odin/test-ports';
import { startLocalWorker } from '../sdk/local-worker.js';
import { startDevArgs, startServer, stopServer } from '../server-process.js';

const N = Number(process.env.N ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const WORKLOAD = process.env.ODIN_PAGES_WORKLOAD ?? 'W1';
const root = new URL('../..', import.meta.url).pathname;
const Database = createRequire(join(root, 'packages/persistence/package.json'))(
  'better-sqlite3',
) as typeof import('better-sqlite3');
const TASK_QUEUE = 'bench-sqlite-pages';
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/** The server's statement counts so far (it writes them on SIGUSR2). */
async function statementCounts(server: ChildProcess, file: string): Promise<Record<string, number>> {
  rmSync(file, { force: true });
  server.kill('SIGUSR2');
  for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(50);
  await sleep(50);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
}

/** The WAL header's salts: they change when SQLite restarts the WAL from its beginning. */
function walSalt(wal: string): string {
  const fd = openSync(wal, 'r');
  try {
    const header = Buffer.alloc(WAL_HEADER);
    readSync(fd, header, 0, WAL_HEADER, 0);
    return header.subarray(16, 24).toString('hex');
  } finally {
    closeSync(fd);
  }
}

/** Page numbers of the frames in [from, to) of the WAL, and how many of those frames end a transaction. */
function walFrames(wal: string, pageSize: number, from: number, to: number) {
  const fd = openSync(wal, 'r');
  const pages: number[] = [];
  let commits = 0;
  try {
    const header = Buffer.alloc(FRAME_HEADER);
    for (let offset = from; offset + FRAME_HEADER + pageSize <= to; offset += FRAME_HEADER + pageSize) {
      readSync(fd, header, 0, FRAME_HEADER, offset);
      pages.push(header.readUInt32BE(0));
      if (header.readUInt32BE(4) !== 0) commits++;
    }
  } finally {
    closeSync(fd);
  }
  return { pages, commits };
}

async function closedLoop(client: WorkflowClient, tag: string, count: number): Promise<number> {
  const type = WORKLOAD.toLowerCase();
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const id = `${tag}-${i}`;
        const result = await client
          .execute(type, { workflowId: id, taskQueue: TASK_QUEUE, args: [id] })
          .catch(() => undefined);
        if (result !== `${id}-done`) errors++;
      }
    }),
  );
  return errors;
}

const dir = mkdtempSync(join(tmpdir(), 'odin-sqlite-pages-'));
const file = join(dir, 'odin.db');
const wal = `${file}-wal`;
const countsFile = join(dir, 'statements.json');
const port = await freePort();
const server = await startServer(startDevArgs(port, file), {
  ...process.env,
  HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${join(root, 'bench/sqlite-pages/count-statements.mjs')}`,
  ODIN_STATEMENT_COUNTS_FILE: countsFile,
});
const { client, stop } = await startLocalWorker(`127.0.0.1:${port}`, TASK_QUEUE);
try {
  await closedLoop(client, 'warm', Math.min(200, Math.ceil(N / 10)));
  await sleep(2000); // the warm-up's visibility and outbox work, done after its results
  const reader = new Database(file, { readonly: true });
  const pageSize = reader.pragma('page_size', { simple: true }) as number;
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM sqlite_master').get();
  const walBefore = statSync(wal).size;
  const saltBefore = walSalt(wal);
  const dbBefore = statSync(file).size;
  const before = await statementCounts(server, countsFile);
  const errors = await closedLoop(client, 'measured', N);
  await sleep(2000);
  const after = await statementCounts(server, countsFile);
  const walAfter = statSync(wal).size;
  if (walSalt(wal) !== saltBefore) throw new Error('the WAL was restarted during the phase: run again');
  reader.exec('COMMIT');
  reader.close();

  const { pages, commits } = walFrames(wal, pageSize, walBefore, walAfter);
  const inspect = new Database(file, { readonly: true });
  const owner = new Map<number, string>();
  for (const row of inspect.prepare('SELECT name, pageno FROM dbstat').all() as {
    name: string;
    pageno: number;
  }[])
    owner.set(row.pageno, row.name);
  const sizes = inspect
    .prepare(
      'SELECT name, count(*) AS pages, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC',
    )
    .all() as { name: string; pages: number; bytes: number }[];
  const pageCount = inspect.pragma('page_count', { simple: true }) as number;
  inspect.close();

  const perWf = (n: number) => (n / N).toFixed(2);
  console.log(`INFO workload=${WORKLOAD} n=${N} conc=${CONCURRENCY} errors=${errors} page_size=${pageSize}`);
  const statements = Object.entries(after)
    .map(([kind, n]) => [kind, n - (before[kind] ?? 0)] as const)
    .filter(([kind, n]) => n > 0 && !kind.endsWith(' rows'))
    .sort((a, b) => b[1] - a[1]);
  const rowsChanged = (kind: string) => (after[`${kind} rows`] ?? 0) - (before[`${kind} rows`] ?? 0);
  const totalStatements = statements.reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `RESULT statements_per_wf=${perWf(totalStatements)} wal_frames_per_wf=${perWf(pages.length)} commits_per_wf=${perWf(commits)} distinct_pages=${new Set(pages).size} db_file_bytes_growth_per_wf=${Math.round((statSync(file).size - dbBefore) / N)}`,
  );
  console.log('\nstatements per workflow (verb and table; for writes, rows changed per workflow):');
  for (const [kind, n] of statements) {
    const rows = /^(insert|update|delete|replace)/.test(kind) ? `  (${perWf(rowsChanged(kind))} rows)` : '';
    console.log(`  ${perWf(n).padStart(7)}  ${kind}${rows}`);
  }
  const byOwner = new Map<string, number>();
  for (const page of pages) {
    const name =
      owner.get(page) ?? (page > pageCount ? '(beyond end: freed)' : '(free list or page 1 header)');
    byOwner.set(name, (byOwner.get(name) ?? 0) + 1);
  }
  console.log('\nWAL frames per workflow (table or index the page belongs to at the end):');
  for (const [name, n] of [...byOwner].sort((a, b) => b[1] - a[1]))
    console.log(`  ${perWf(n).padStart(7)}  ${name}`);
  console.log('\ndatabase at the end (pages, bytes):');
  for (const { name, pages: p, bytes } of sizes)
    console.log(`  ${String(p).padStart(7)} ${String(bytes).padStart(11)}  ${name}`);
} finally {
  await stop();
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
}
