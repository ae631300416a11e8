import { ensureNamespace } from '@odin/frontend';
import { VirtualClock } from '@odin/hugo';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { SeededRandom } from '@odin/runtime';
import { defaultPayloadConverter, type IHistoryEvent, toPayloads, Worker, WorkflowClient } from '@odin/sdk';
import { checkWorkflow, type WorkflowCheck } from './invariants.js';
import { SimCluster } from './cluster.js';
import { type StoreFaultControl, HEALTHY_STORE } from './faulty-store.js';
import { CALM_NETWORK, Network } from './network.js';
import { NodeClock } from './node-clock.js';
import { SimConnection } from './sim-connection.js';
import { Trace } from './trace.js';
import {
  CLIENT_NODE,
  FRONTEND_NODE,
  HISTORY_NODES,
  MATCHING_NODES,
  type Fault,
  type Scenario,
  WORKER_NODES,
  type WorkflowSpec,
} from './workload.js';
import * as workflows from './workflows.js';

const NAMESPACE = 'default';
const TASK_QUEUE = 'sim';
const EPOCH = Date.UTC(2026, 0, 1);
const RUNNING = 1;
const UPDATE_COMPLETED = 3;
/** Virtual time a run may take before unfinished workflows count as lost. */
const VIRTUAL_BUDGET_MS = 3 * 60 * 60 * 1000;

export interface RunReport {
  readonly seed: number;
  /** Hash of every decision and observation of the run, and of every history: equal for equal runs. */
  readonly traceHash: string;
  readonly failures: readonly string[];
  readonly workflows: number;
  readonly events: number;
  readonly traceLines: number;
  readonly virtualMs: number;
  readonly traceTail: readonly string[];
}

/** Lets every continuation that is ready run: promise jobs and the immediates they queue, several rounds. */
async function settle(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const silentWorkerLogger = { warn() {}, error() {} };

function activitiesFor(clock: NodeClock) {
  return {
    async step(index: number, failFirst: number, hangFirst: boolean): Promise<number> {
      const { activityInfo, ApplicationFailure } = await import('@odin/sdk');
      const attempt = activityInfo().attempt;
      if (hangFirst && attempt === 1) await clock.sleep(60_000);
      if (attempt <= failFirst) throw ApplicationFailure.retryable(`step ${index} fails attempt ${attempt}`);
      return index + 1;
    },
  };
}

interface SimWorker {
  clock: NodeClock;
  worker: Worker;
}

/** Runs one scenario to its end and checks every invariant; never throws for a failed invariant (see failures). */
export async function runScenario(
  scenario: Scenario,
  options: { traceLines?: number } = {},
): Promise<RunReport> {
  const failures: string[] = [];
  const base = new VirtualClock(EPOCH);
  const random = new SeededRandom((scenario.seed ^ 0x5eed5eed) >>> 0);
  const trace = new Trace(options.traceLines ?? 200);
  const network = new Network(base, new SeededRandom(random.int(2 ** 32)), trace);
  const storeFaults: StoreFaultControl = { faults: HEALTHY_STORE, acquired: new Map(), staleWrites: [] };
  const store: PersistenceStore = await openStore({ url: 'sqlite::memory:', migrate: true, clock: base });
  const shardCount = 8;
  await store.cluster.initOrVerifyClusterMetadata({ clusterName: 'active', shardCount, now: base.now() });
  await ensureNamespace(store.namespaces, {
    id: random.uuid(),
    name: NAMESPACE,
    retentionMs: 30 * 24 * 3600_000,
    now: base.now(),
  });
  const namespaceId = (await store.namespaces.getNamespaceByName(NAMESPACE))?.id ?? '';
  const cluster = new SimCluster(
    base,
    network,
    new SeededRandom(random.int(2 ** 32)),
    trace,
    store,
    storeFaults,
    {
      shardCount,
      history: { outboxDeleteDelayMs: 500 },
      heartbeatIntervalMs: 5_000,
      membershipTtlMs: 20_000,
    },
  );
  const clockOf = (node: string): NodeClock | undefined =>
    cluster.nodes.get(node)?.clock ?? workers.get(node)?.clock;
  network.gate = (node) => clockOf(node)?.running() ?? Promise.resolve();
  const frontendTarget = () => {
    const node = cluster.nodes.get(FRONTEND_NODE);
    return node?.frontend && !node.clock.dead ? { service: node.frontend, clock: node.clock } : undefined;
  };

  for (const name of HISTORY_NODES) await cluster.start(name, 'history');
  for (const name of MATCHING_NODES) await cluster.start(name, 'matching');
  await cluster.start(FRONTEND_NODE, 'frontend');

  const workers = new Map<string, SimWorker>();
  const startWorker = async (name: string) => {
    const clock = new NodeClock(base);
    const connection = new SimConnection({ name, clock }, network, FRONTEND_NODE, frontendTarget);
    const worker = await Worker.create({
      connection: connection.asConnection(),
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      workflows,
      activities: activitiesFor(clock),
      identity: name,
      clock,
      logger: silentWorkerLogger,
      cacheMemoryPressure: () => false,
      shutdownGraceMs: 1_000,
    });
    // The SDK names its sticky queue with a random UUID; a simulated worker's must follow from the seed.
    (worker as unknown as { stickyTaskQueue: string }).stickyTaskQueue = `${name}-sticky-${random.int(1e9)}`;
    workers.set(name, { clock, worker });
    network.up(name);
    trace.add(base.now(), `start worker ${name}`);
    void worker.run().catch(() => undefined);
  };
  const crashWorker = (name: string) => {
    const w = workers.get(name);
    if (!w || w.clock.dead) return;
    trace.add(base.now(), `crash worker ${name}`);
    w.clock.kill();
    network.down(name);
  };
  for (const name of WORKER_NODES) await startWorker(name);

  const clientClock = new NodeClock(base);
  const clientConnection = new SimConnection(
    { name: CLIENT_NODE, clock: clientClock },
    network,
    FRONTEND_NODE,
    frontendTarget,
  );
  const client = new WorkflowClient({
    connection: clientConnection.asConnection(),
    namespace: NAMESPACE,
    identity: CLIENT_NODE,
  });

  /** Client calls are retried until they succeed: the workload must happen whatever the faults. */
  const persist = (what: string, call: () => Promise<unknown>) => {
    const attempt = async (n: number): Promise<void> => {
      try {
        await call();
        trace.add(base.now(), `client ${what} ok`);
      } catch (error) {
        trace.add(base.now(), `client ${what} attempt ${n} failed: ${(error as Error).message}`);
        await clientClock.sleep(2_000);
        await attempt(n + 1);
      }
    };
    void attempt(1);
  };
  const at = (ms: number, fn: () => void) => base.setTimer(ms, fn);

  /** Every update's final answer, by update id; undefined while the client is still asking. */
  const updateOutcomes = new Map<string, string | undefined>();
  const sendUpdate = (workflowId: string, updateId: string) => {
    updateOutcomes.set(updateId, undefined);
    const ask = async (attempt: number): Promise<void> => {
      try {
        const response = await clientConnection.call(
          'updateWorkflowExecution',
          {
            namespace: NAMESPACE,
            workflowExecution: { workflowId, runId: '' },
            waitPolicy: { lifecycleStage: UPDATE_COMPLETED },
            request: {
              meta: { updateId, identity: CLIENT_NODE },
              input: { name: 'bump', args: toPayloads(defaultPayloadConverter, [1]) ?? null },
            },
          },
          { timeoutMs: 30_000 },
        );
        const outcome = (response as { outcome?: { success?: unknown; failure?: { message?: string } } })
          .outcome;
        if (outcome?.failure) updateOutcomes.set(updateId, `rejected: ${outcome.failure.message}`);
        else if (outcome?.success) updateOutcomes.set(updateId, 'accepted and completed');
        else throw Object.assign(new Error('no outcome yet'), { code: 4 });
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (code === 5) {
          updateOutcomes.set(updateId, 'not found');
          return;
        }
        if (code !== 14 && code !== 4 && code !== 8 && code !== 9 && code !== 1) {
          updateOutcomes.set(updateId, `error ${code}: ${(error as Error).message}`);
          return;
        }
        trace.add(base.now(), `client update ${updateId} attempt ${attempt}: ${code}`);
        await clientClock.sleep(1_000);
        await ask(attempt + 1);
      }
    };
    void ask(1);
  };

  for (const spec of scenario.workflows) {
    (spec.updates ?? []).forEach((update, i) => {
      at(update.atMs, () => sendUpdate(spec.workflowId, `${spec.workflowId}-update-${i}`));
    });
    at(spec.startAtMs, () =>
      persist(`start ${spec.workflowId}`, () =>
        client.start(spec.type, {
          workflowId: spec.workflowId,
          taskQueue: TASK_QUEUE,
          args: spec.type === 'planned' ? [spec.plan] : [spec.base],
          requestId: `${spec.workflowId}-start`,
        }),
      ),
    );
    spec.signals.forEach((signal, i) => {
      at(signal.atMs, () =>
        persist(`signal ${spec.workflowId} #${i}`, () =>
          clientConnection.call('signalWorkflowExecution', {
            namespace: NAMESPACE,
            workflowExecution: { workflowId: spec.workflowId, runId: '' },
            signalName: 'add',
            input: toPayloads(defaultPayloadConverter, [signal.value]) ?? null,
            identity: CLIENT_NODE,
            requestId: `${spec.workflowId}-signal-${i}`,
          }),
        ),
      );
    });
    if (spec.terminateAtMs !== undefined) {
      at(spec.terminateAtMs, () =>
        persist(`terminate ${spec.workflowId}`, () =>
          clientConnection.call('terminateWorkflowExecution', {
            namespace: NAMESPACE,
            workflowExecution: { workflowId: spec.workflowId, runId: '' },
            identity: CLIENT_NODE,
            reason: 'simulation',
          }),
        ),
      );
    }
    if (spec.cancelAtMs !== undefined) {
      at(spec.cancelAtMs, () =>
        persist(`cancel ${spec.workflowId}`, () =>
          clientConnection.call('requestCancelWorkflowExecution', {
            namespace: NAMESPACE,
            workflowExecution: { workflowId: spec.workflowId, runId: '' },
            identity: CLIENT_NODE,
            requestId: `${spec.workflowId}-cancel`,
            reason: 'simulation',
          }),
        ),
      );
    }
  }

  /** A history host's graceful exit: it releases its shards, leaves the ring, and stops. */
  const leave = async (name: string) => {
    const node = cluster.nodes.get(name);
    if (!node || node.clock.dead || node.clock.paused) return;
    await node.history?.stop();
    await node.monitor.stop();
    cluster.crash(name);
  };
  let faultsActive = 0;
  const applyFault = (fault: Fault) => {
    trace.add(
      base.now(),
      `fault ${fault.kind} ${fault.target}${fault.peer ? `/${fault.peer}` : ''} for ${fault.forMs}`,
    );
    faultsActive++;
    const later = (fn: () => Promise<void> | void) =>
      at(fault.forMs, () => {
        trace.add(base.now(), `fault over ${fault.kind} ${fault.target}`);
        void Promise.resolve(fn()).finally(() => faultsActive--);
      });
    switch (fault.kind) {
      case 'crash':
        cluster.crash(fault.target);
        later(() => cluster.restart(fault.target));
        break;
      case 'pause': {
        const clock = clockOf(fault.target);
        clock?.pause();
        later(() => clock?.resume());
        break;
      }
      case 'clock-jump':
        clockOf(fault.target)?.jump(fault.jumpMs ?? 0);
        later(() => undefined);
        break;
      case 'partition':
        network.partition(fault.target, fault.peer ?? '');
        later(() => network.heal(fault.target, fault.peer ?? ''));
        break;
      case 'shard-move':
        // A graceful leave: the host releases its shards and leaves the ring; the others take them over.
        void leave(fault.target);
        later(() => cluster.restart(fault.target));
        break;
      case 'join': {
        // Membership churn: a fourth history host joins, takes its share of the shards, and leaves again.
        const node = cluster.nodes.get(fault.target);
        if (node && !node.clock.dead) {
          later(() => undefined);
          break;
        }
        void cluster.start(fault.target, 'history');
        later(() => leave(fault.target));
        break;
      }
      case 'db-errors':
        storeFaults.faults = { commitFailRate: 0.1, lostAckRate: 0.1, slowRate: 0.1, slowMaxMs: 3_000 };
        later(() => {
          storeFaults.faults = HEALTHY_STORE;
        });
        break;
      case 'network-chaos':
        network.faults = { dropRate: 0.1, duplicateRate: 0.1, lostReplyRate: 0.1, maxDelayMs: 300 };
        later(() => {
          network.faults = CALM_NETWORK;
        });
        break;
      case 'worker-crash':
        crashWorker(fault.target);
        later(() => startWorker(fault.target));
        break;
    }
  };
  for (const fault of scenario.faults) at(fault.atMs, () => applyFault(fault));

  // Completion is read from the database (the oracle), not through the system under test.
  let done = false;
  const lastEventAt = Math.max(
    0,
    ...scenario.faults.map((f) => f.atMs + f.forMs),
    ...scenario.workflows.map((w) =>
      Math.max(
        w.startAtMs,
        ...w.signals.map((s) => s.atMs),
        ...(w.updates ?? []).map((u) => u.atMs),
        w.cancelAtMs ?? 0,
        w.terminateAtMs ?? 0,
      ),
    ),
  );
  const openWorkflows = async (): Promise<string[]> => {
    const open: string[] = [];
    for (const spec of scenario.workflows) {
      const current = await store.executions.getCurrentExecution(namespaceId, spec.workflowId);
      if (!current || current.status === RUNNING) open.push(spec.workflowId);
    }
    return open;
  };
  const checkDone = async () => {
    if (base.now() - EPOCH <= lastEventAt || faultsActive > 0) return false;
    if ([...updateOutcomes.values()].some((o) => o === undefined)) return false;
    return (await openWorkflows()).length === 0;
  };
  const poll = () =>
    at(5_000, () => {
      void checkDone().then((finished) => {
        if (finished) done = true;
        else poll();
      });
    });
  poll();

  const deadline = EPOCH + VIRTUAL_BUDGET_MS;
  for (;;) {
    await settle();
    if (done) break;
    const next = base.nextDueAt();
    if (next === undefined) {
      failures.push(
        `nothing left to run but ${(await openWorkflows()).join(', ')} still open (a lost task?)`,
      );
      break;
    }
    if (next > deadline) {
      failures.push(
        `workflows still open after ${VIRTUAL_BUDGET_MS / 60_000} virtual minutes (a lost task?)`,
      );
      break;
    }
    await base.advanceTo(next);
  }

  for (const [updateId, outcome] of updateOutcomes) {
    trace.add(0, `update ${updateId} ${outcome}`);
    if (outcome === 'not found' || outcome?.startsWith('rejected: ')) continue;
    failures.push(
      `update ${updateId}: ${outcome ?? 'never answered'} (expected a rejection: no worker accepts it)`,
    );
  }
  for (const write of storeFaults.staleWrites) failures.push(`write with a stale fence: ${write}`);

  // Checks, through the frontend on a calm network (every fault is over).
  let events = 0;
  const checks: WorkflowCheck[] = [];
  const checkerClock = new NodeClock(base);
  const checker = new WorkflowClient({
    connection: new SimConnection(
      { name: 'checker', clock: checkerClock },
      network,
      FRONTEND_NODE,
      frontendTarget,
    ).asConnection(),
    namespace: NAMESPACE,
  });
  const fetchHistory = (workflowId: string, runId?: string): Promise<IHistoryEvent[]> =>
    drive(base, checker.fetchHistory(workflowId, runId));
  if (failures.length === 0) {
    for (const spec of scenario.workflows) {
      // A query is handed to one waiting poll; when that poll's caller is gone (its reply was lost, or it was a
      // duplicate) the query waits for its deadline, as in Temporal, and the caller asks again.
      const query = async (workflowId: string): Promise<string> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await drive(base, checker.query<string, []>(workflowId, undefined, 'state', []));
          } catch (error) {
            const code = (error as { code?: number }).code;
            if (attempt >= 4 || code !== 4) throw error;
            trace.add(base.now(), `checker query ${workflowId} attempt ${attempt} timed out`);
          }
        }
      };
      const check = await checkWorkflow(spec, fetchHistory, workflows, query);
      checks.push(check);
      events += check.events;
      for (const failure of check.failures) failures.push(`${spec.workflowId}: ${failure}`);
      for (const digest of check.digests) trace.add(0, `history ${spec.workflowId} ${digest}`);
    }
  }

  for (const node of cluster.nodes.values()) node.clock.kill();
  for (const w of workers.values()) w.clock.kill();
  clientClock.kill();
  await store.close();
  return {
    seed: scenario.seed,
    traceHash: trace.digest(),
    failures,
    workflows: scenario.workflows.length,
    events,
    traceLines: trace.count,
    virtualMs: base.now() - EPOCH,
    traceTail: trace.tail().slice(-(options.traceLines ?? 40)),
  };
}

/** Waits for `work` while moving virtual time (the checker's calls go through the simulated network too). */
async function drive<T>(base: VirtualClock, work: Promise<T>): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  for (let i = 0; i < 10_000 && !settled; i++) {
    await settle();
    if (settled) break;
    const next = base.nextDueAt();
    if (next === undefined) break;
    await base.advanceTo(next);
  }
  return watched;
}

export type { WorkflowSpec };
