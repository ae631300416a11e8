import { ensureNamespace } from '@odin/frontend';
import { VirtualClock } from '@odin/hugo';
import { openStore, type PersistenceStore } from '@odin/persistence';
import { SeededRandom } from '@odin/runtime';
import { type IHistoryEvent, WorkflowClient } from '@odin/sdk';
import { lastClientStepAt, scheduleClientWorkload, scheduleEndTime } from './client-workload.js';
import { SimCluster } from './cluster.js';
import { scheduleFaults } from './faults.js';
import { HEALTHY_STORE, type StoreFaultControl } from './faulty-store.js';
import { checkUpdateOutcomes, checkWorkflow } from './invariants.js';
import { Network } from './network.js';
import { NodeClock } from './node-clock.js';
import { SimConnection } from './sim-connection.js';
import { Trace } from './trace.js';
import { frontendSkewMargin, scheduleWindows, tickWorkflowId } from './schedule-check.js';
import { NAMESPACE, SimWorkers } from './workers.js';
import {
  CLIENT_NODE,
  FRONTEND_NODE,
  HISTORY_NODES,
  MATCHING_NODES,
  type Scenario,
  WORKER_NODES,
} from './workload.js';
import * as workflows from './workflows.js';

const EPOCH = Date.UTC(2026, 0, 1);
const RUNNING = 1;
const COMPLETED = 2;
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

/**
 * Runs one scenario to its end and checks every invariant; never throws for a failed invariant (see failures).
 * The cluster, the workers and the client are set up, the client's steps and the faults scheduled on the virtual
 * clock, and the clock is moved from timer to timer until every workflow closed and every fault is over.
 */
export interface RunOptions {
  readonly traceLines?: number;
  /**
   * An invariant of the caller's, checked on every history the checker reads besides the simulation's own: tests
   * use it to inject a failure whose minimal scenario is known (the shrinker's test).
   */
  readonly extraHistoryCheck?: (workflowId: string, events: readonly IHistoryEvent[]) => string[];
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunReport> {
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
  const frontendTarget = () => {
    const node = cluster.nodes.get(FRONTEND_NODE);
    return node?.frontend && !node.clock.dead ? { service: node.frontend, clock: node.clock } : undefined;
  };
  const workers = new SimWorkers(base, network, random, trace, FRONTEND_NODE, frontendTarget);
  const clockOf = (node: string): NodeClock | undefined =>
    cluster.nodes.get(node)?.clock ?? workers.clockOf(node);
  network.gate = (node) => clockOf(node)?.running() ?? Promise.resolve();

  for (const name of HISTORY_NODES) await cluster.start(name, 'history');
  for (const name of MATCHING_NODES) await cluster.start(name, 'matching');
  await cluster.start(FRONTEND_NODE, 'frontend');
  for (const name of WORKER_NODES) await workers.start(name);

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
  const origin = base.now();
  const { updateOutcomes, scheduleTimes } = scheduleClientWorkload(
    { base, clock: clientClock, connection: clientConnection, client, trace },
    scenario,
  );
  const faults = scheduleFaults(
    { base, cluster, workers, network, storeFaults, trace, clockOf },
    scenario.faults,
  );

  // Completion is read from the database (the oracle), not through the system under test.
  const lastEventAt = Math.max(lastClientStepAt(scenario), ...scenario.faults.map((f) => f.atMs + f.forMs));
  const openWorkflows = async (): Promise<string[]> => {
    const open: string[] = [];
    for (const spec of scenario.workflows) {
      const current = await store.executions.getCurrentExecution(namespaceId, spec.workflowId);
      if (!current || current.status === RUNNING) open.push(spec.workflowId);
    }
    return open;
  };
  const statusOf = async (workflowId: string) =>
    (await store.executions.getCurrentExecution(namespaceId, workflowId))?.status;
  // Every schedule's required actions started and closed, and whatever else it started closed too.
  const skewMargin = frontendSkewMargin(scenario.faults, FRONTEND_NODE);
  const unsettledSchedules = async (): Promise<string[]> => {
    const unsettled: string[] = [];
    for (const schedule of scenario.schedules ?? []) {
      const windows = scheduleWindows(
        schedule,
        scheduleTimes.get(schedule.scheduleId) ?? {},
        skewMargin,
        scheduleEndTime(schedule, origin),
      );
      if (!windows) {
        unsettled.push(`${schedule.scheduleId} (calls unanswered)`);
        continue;
      }
      for (const at of windows.allowed) {
        const workflowId = tickWorkflowId(schedule, at);
        const status = await statusOf(workflowId);
        if (status === RUNNING || (status === undefined && windows.required.includes(at)))
          unsettled.push(`${workflowId} (${status === RUNNING ? 'running' : 'not started'})`);
      }
    }
    return unsettled;
  };
  const checkDone = async () => {
    if (base.now() - EPOCH <= lastEventAt || faults.active() > 0) return false;
    if ([...updateOutcomes.values()].some((o) => o === undefined)) return false;
    if ((await unsettledSchedules()).length > 0) return false;
    return (await openWorkflows()).length === 0;
  };
  let done = false;
  const poll = () =>
    base.setTimer(5_000, () => {
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
      const open = [...(await openWorkflows()), ...(await unsettledSchedules())].join(', ');
      failures.push(`nothing left to run but ${open} still open (a lost task?)`);
      break;
    }
    if (next > deadline) {
      const open = [...(await openWorkflows()), ...(await unsettledSchedules())].join(', ');
      failures.push(`${open || 'nothing'} still open after ${VIRTUAL_BUDGET_MS / 60_000} virtual minutes`);
      break;
    }
    await base.advanceTo(next);
  }

  for (const [key, outcome] of updateOutcomes) trace.add(0, `update ${key} ${outcome}`);
  for (const spec of scenario.workflows)
    for (const problem of checkUpdateOutcomes(spec, updateOutcomes))
      failures.push(`${spec.workflowId}: ${problem}`);
  for (const write of storeFaults.staleWrites) failures.push(`write with a stale fence: ${write}`);

  // Checks, through the frontend on a calm network (every fault is over).
  let events = 0;
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
  const fetchHistory = async (workflowId: string, runId?: string): Promise<IHistoryEvent[]> => {
    const events = await drive(base, checker.fetchHistory(workflowId, runId));
    for (const problem of options.extraHistoryCheck?.(workflowId, events) ?? [])
      failures.push(`${workflowId}: ${problem}`);
    return events;
  };
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
  if (failures.length === 0) {
    for (const spec of scenario.workflows) {
      const check = await checkWorkflow(spec, fetchHistory, workflows, query);
      events += check.events;
      for (const failure of check.failures) failures.push(`${spec.workflowId}: ${failure}`);
      for (const digest of check.digests) trace.add(0, `history ${spec.workflowId} ${digest}`);
    }
    // Schedules: each required time's action started and completed; visibility counts every `tick` run there is,
    // so a second run of one time, or a run of a time outside its schedule's window (a paused schedule), shows.
    let started = 0;
    for (const schedule of scenario.schedules ?? []) {
      const windows = scheduleWindows(
        schedule,
        scheduleTimes.get(schedule.scheduleId) ?? {},
        skewMargin,
        scheduleEndTime(schedule, origin),
      );
      if (!windows) {
        failures.push(`schedule ${schedule.scheduleId}: the client's calls were never answered`);
        continue;
      }
      for (const at of windows.allowed) {
        const workflowId = tickWorkflowId(schedule, at);
        const status = await statusOf(workflowId);
        trace.add(0, `schedule action ${workflowId} ${status ?? 'not started'}`);
        if (status !== undefined) started++;
        if (status === undefined && windows.required.includes(at))
          failures.push(`schedule ${schedule.scheduleId}: the action of ${workflowId} never started`);
        else if (status !== undefined && status !== COMPLETED)
          failures.push(`schedule ${schedule.scheduleId}: ${workflowId} closed with status ${status}`);
      }
    }
    if (scenario.schedules?.length) {
      const ticks = await drive(base, checker.count("WorkflowType = 'tick'"));
      if (ticks !== started)
        failures.push(
          `schedules: ${ticks} tick runs, but ${started} scheduled times within the schedules' windows started ` +
            '(an action started twice, or while its schedule was paused)',
        );
    }
    // Visibility is written in the transition's transaction: every run closed, so none is listed as running.
    const running = await drive(base, checker.count("ExecutionStatus = 'Running'"));
    if (running !== 0) failures.push(`visibility lists ${running} runs as running, all are closed`);
  }

  for (const node of cluster.nodes.values()) node.clock.kill();
  workers.killAll();
  clientClock.kill();
  checkerClock.kill();
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
