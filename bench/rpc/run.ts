// Server CPU per unary gRPC call, with no workflow work in it: what each of a workflow's RPCs costs before history,
// matching or the database do anything. Calls `getSystemInfo` and `describeNamespace` on start-dev through
// `@odin/sdk`'s Connection twice: as frames on its multiplexed call stream (`transport=mux`, @odin/sdk's default),
// and as one HTTP/2 stream per call (`transport=stream`, what the official SDKs do). Then the same `getSystemInfo`
// on a bare node:http2 responder (bare-server.ts: the HTTP/2 floor in Node, one stream per call: it has no
// multiplexed stream). CALLS calls at CONCURRENCY in flight after a warm-up, each server in its own process. Prints
// one line per target and transport: calls/s, server and client CPU µs per call. Not a test.
//
// `npm run bench -- rpc/run.ts` (CALLS=20000, CONCURRENCY=64; run it again with CONCURRENCY=1 for the unbatched cost;
// TRANSPORTS=mux|stream for one transport)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@odin/sdk';
import { freePort } from '@odin/test-ports';
import { cpuSeconds } from '../proc-cpu.js';
import { startDevArgs, startServer, stopServer } from '../server-process.js';

const CALLS = Number(process.env.CALLS ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const WARMUP = 2_000;
/** TRANSPORTS=stream measures one of the two, e.g. to profile the server (BENCH_SERVER_NODE_ARGS) on that path alone. */
const TRANSPORTS = (process.env.TRANSPORTS ?? 'mux,stream').split(',') as Transport[];
for (const transport of TRANSPORTS) {
  if (transport !== 'mux' && transport !== 'stream')
    throw new Error(`TRANSPORTS: "${transport}" is neither mux nor stream`);
}

type Method = 'getSystemInfo' | 'describeNamespace';
const REQUESTS: Record<Method, object> = { getSystemInfo: {}, describeNamespace: { namespace: 'default' } };

type Transport = 'mux' | 'stream';

async function measure(
  label: string,
  pid: number,
  port: number,
  method: Method,
  transport: Transport,
): Promise<void> {
  const connection = Connection.connect({ address: `127.0.0.1:${port}`, multiplex: transport === 'mux' });
  const call = () => connection.call(method, REQUESTS[method] as never);
  try {
    for (let i = 0; i < WARMUP; i++) await call();
    const serverBefore = cpuSeconds(pid);
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < CALLS) await call();
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const server = cpuSeconds(pid) - serverBefore;
    const client = process.cpuUsage(clientBefore);
    console.log(
      `RPC target=${label} transport=${transport} method=${method} conc=${CONCURRENCY} calls=${CALLS} calls_per_s=${(CALLS / seconds).toFixed(0)} ` +
        `server_cpu_us_per_call=${((server * 1e6) / CALLS).toFixed(0)} ` +
        `client_cpu_us_per_call=${((client.user + client.system) / CALLS).toFixed(0)}`,
    );
  } finally {
    connection.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'odin-bench-rpc-'));
try {
  const port = await freePort();
  const odin = await startServer(startDevArgs(port, join(dir, 'odin.db')), {
    ...process.env,
    HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
  });
  try {
    for (const transport of TRANSPORTS) {
      await measure('odin-start-dev', odin.pid!, port, 'getSystemInfo', transport);
      await measure('odin-start-dev', odin.pid!, port, 'describeNamespace', transport);
    }
  } finally {
    await stopServer(odin);
  }
  const bare = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'bare-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const barePort = await new Promise<number>((resolve, reject) => {
      bare.stdout.on('data', (chunk: Buffer) => {
        const match = /listening on (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      bare.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
    });
    await measure('bare-node-http2', bare.pid!, barePort, 'getSystemInfo', 'stream');
  } finally {
    await stopServer(bare);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
