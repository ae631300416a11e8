// Start-dev's time to ready, as bench/peers/run.ts measures it for its `INFO startup` line: spawns the CLI's bundle
// (`server start-dev --db-filename <file> --headless --http-port 0`, log level warn), times spawn → "listening on"
// and stops it; RUNS times on a new file and RUNS times on an existing one, interleaved. `--vs <main.js>` times a
// second build (this checkout's unbundled packages/cli/dist/main.js, or another checkout's bundle) in the same loop,
// each run right after this one's, so that a busy machine's drift falls on both alike. Prints each run and the
// medians. Not a test.
//
// `npm run bench -- startup/run.ts [--runs 11] [--vs packages/cli/dist/main.js]`
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cliPath, startDevArgs } from '../server-process.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '11' }, vs: { type: 'string' } },
});
const RUNS = Number(values.runs);
const builds = [cliPath];
if (values.vs) builds.push(values.vs);

/** Milliseconds from spawn to the ready line; the server is stopped (SIGTERM) before this resolves. */
function timeToReady(cli: string, file: string): Promise<number> {
  const args = startDevArgs(0, file);
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    let readyMs: number | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (readyMs === undefined && /listening on/i.test(output)) {
        readyMs = performance.now() - spawnedAt;
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) =>
      readyMs === undefined ? reject(new Error(`start-dev exited (${code}):\n${output}`)) : resolve(readyMs),
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'odin-bench-startup-'));
try {
  const results = builds.map((cli, b) => ({
    cli,
    existing: join(dir, `existing-${b}.db`),
    fresh: [0],
    reopened: [0],
  }));
  for (const r of results) {
    r.fresh = [];
    r.reopened = [];
    await timeToReady(r.cli, r.existing); // creates and migrates it; also a warm-up
  }
  for (let i = 0; i < RUNS; i++) {
    for (const [b, r] of results.entries())
      r.fresh.push(await timeToReady(r.cli, join(dir, `new-${b}-${i}.db`)));
    for (const r of results) r.reopened.push(await timeToReady(r.cli, r.existing));
    const line = results.map(
      (r) => `new file ${Math.round(r.fresh[i]!)} ms, existing ${Math.round(r.reopened[i]!)} ms`,
    );
    console.log(`run ${i + 1}: ${line.join(' | ')}`);
  }
  for (const r of results) {
    console.log(
      `INFO startup cli=${r.cli} runs=${RUNS} ready_ms_new_file_median=${Math.round(median(r.fresh))} ` +
        `ready_ms_existing_file_median=${Math.round(median(r.reopened))}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
