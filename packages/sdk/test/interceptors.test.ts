// Client, workflow (inbound and outbound) and activity interceptors on the dev server: what each sees, and the
// headers they add reaching the next hop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDevServer } from '@odin/server';
import { activityInfo } from '../src/activity/index.js';
import type { ActivityInterceptorsFactory } from '../src/activity/interceptors.js';
import { Connection, type WorkflowClientInterceptor, WorkflowClient } from '../src/client/index.js';
import { defaultPayloadConverter } from '../src/common/payload.js';
import { assertDeterministicReplay } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import type { WorkflowInterceptorsFactory } from '../src/workflow/interceptors.js';
import { workflowInfo } from '../src/workflow/index.js';
import * as intercepted from './workflows/intercepted.js';

const seen: string[] = [];
const header = (value: string) => defaultPayloadConverter.toPayload(value);
const read = (headers: Record<string, unknown>, key: string) =>
  headers[key] ? defaultPayloadConverter.fromPayload<string>(headers[key] as never) : undefined;

const clientInterceptor: WorkflowClientInterceptor = {
  start: (input, next) => next({ ...input, headers: { ...input.headers, user: header('ada') } }),
  signal: (input, next) => next({ ...input, headers: { ...input.headers, user: header('grace') } }),
  query: (input, next) => next({ ...input, headers: { ...input.headers, user: header('linus') } }),
};

const workflowFactory: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      execute: (input, next) => {
        seen.push(`execute ${workflowInfo().workflowType} by ${read(input.headers, 'user')}`);
        return next(input);
      },
      handleSignal: (input, next) => {
        seen.push(`signal ${input.signalName} by ${read(input.headers, 'user')}`);
        return next(input);
      },
      handleQuery: (input, next) => {
        seen.push(`query ${input.queryName} by ${read(input.headers, 'user')}`);
        return next(input);
      },
    },
  ],
  outbound: [
    {
      startTimer: (input, next) => {
        seen.push(`timer ${input.durationMs}`);
        return next(input);
      },
      scheduleActivity: (input, next) =>
        next({ ...input, headers: { ...input.headers, caller: header(workflowInfo().workflowId) } }),
    },
  ],
});

const activityFactory: ActivityInterceptorsFactory = (context) => ({
  inbound: {
    execute: async (input, next) =>
      `${await next(input)} (called by ${read(input.headers, 'caller')} for ${context.info.activityType})`,
  },
});

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  worker = await Worker.create({
    connection,
    taskQueue: 'intercepted',
    workflows: intercepted,
    activities: { whoAmI: async () => activityInfo().activityType },
    interceptors: { workflow: [workflowFactory], activity: [activityFactory] },
  });
  running = worker.run();
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await server.stop();
});

test('interceptors see client headers in the workflow, add headers the activity reads, and wrap timers', async () => {
  const client = new WorkflowClient({ connection, interceptors: [clientInterceptor] });
  const workflowId = `intercepted-${process.pid}`;
  const handle = await client.start(intercepted.intercepted, { workflowId, taskQueue: 'intercepted' });
  for (let i = 0; i < 100 && (await handle.describe()).historyLength < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await handle.query(intercepted.state), 'waiting');
  await handle.signal(intercepted.go, 'now');
  assert.equal(await handle.result(), `now; activity saw whoAmI (called by ${workflowId} for whoAmI)`);
  assert.ok(seen.includes('execute intercepted by ada'), seen.join(' | '));
  assert.ok(seen.includes('signal go by grace'), seen.join(' | '));
  assert.ok(seen.includes('query state by linus'), seen.join(' | '));
  assert.ok(seen.includes('timer 5'), seen.join(' | '));
  const history = await client.fetchHistory(workflowId);
  const scheduled = history.find(
    (e) => e.activityTaskScheduledEventAttributes,
  )?.activityTaskScheduledEventAttributes;
  assert.equal(read(scheduled?.header?.fields ?? {}, 'caller'), workflowId, 'the header is in history');
  await assertDeterministicReplay(history, intercepted, { interceptors: [workflowFactory] });
});
