import type { SeededRandom } from '@odin/runtime';
import type { Plan } from './workflows.js';

/** One workflow the client starts, and what the client does to it. */
export interface WorkflowSpec {
  readonly workflowId: string;
  readonly type: 'planned' | 'cancellable';
  readonly plan?: Plan;
  /** `cancellable`'s arguments: the base of its result, and whether it waits in an activity or on a timer. */
  readonly base?: number;
  readonly inActivity?: boolean;
  readonly startAtMs: number;
  /** Signals `add` (value, when) sent by the client after the start. */
  readonly signals: readonly { readonly value: number; readonly atMs: number }[];
  /** Updates the client sends (planned only), each with its own update id. */
  readonly updates?: readonly UpdateSpec[];
  /** When the client asks to cancel (cancellable only). */
  readonly cancelAtMs?: number;
  /** When the client terminates it (cancellable only; it is then queried once every fault is over). */
  readonly terminateAtMs?: number;
}

/**
 * One update: `bump` with `value` (accepted when 1 or more, then counted by the workflow and added to its result;
 * refused by the validator otherwise), or, without a value, an update no handler knows (rejected by the worker).
 * `againAtMs`: the client sends the same update id once more then, and must get the first outcome back.
 */
export interface UpdateSpec {
  readonly atMs: number;
  readonly value?: number;
  readonly againAtMs?: number;
}

/** Whether the workflow's code accepts the update (a `bump` its validator lets through). */
export function isAccepted(update: UpdateSpec): boolean {
  return update.value !== undefined && update.value >= 1;
}

export type FaultKind =
  | 'crash'
  | 'pause'
  | 'clock-jump'
  | 'partition'
  | 'shard-move'
  | 'join'
  | 'db-errors'
  | 'network-chaos'
  | 'worker-crash';

/** One fault at a virtual time: `target` a process (or two, for a partition), `forMs` how long it lasts. */
export interface Fault {
  readonly kind: FaultKind;
  readonly atMs: number;
  readonly forMs: number;
  readonly target: string;
  readonly peer?: string;
  /** Clock jump size. */
  readonly jumpMs?: number;
}

/**
 * A schedule the client creates at `createAtMs`: every `everyMs` (whole seconds, from the Unix epoch) it starts
 * `tick` with id `<workflowIdPrefix>-<time>`, overlapping runs allowed, default catch-up window (a year: nothing
 * may be missed). It ends at `endAtMs` (the spec's end time), is created paused, or is paused at `pauseAtMs`, so
 * that it starts nothing more once the run winds down.
 */
export interface ScheduleSpec {
  readonly scheduleId: string;
  readonly workflowIdPrefix: string;
  readonly everyMs: number;
  readonly createAtMs: number;
  readonly endAtMs?: number;
  readonly createPaused?: boolean;
  readonly pauseAtMs?: number;
}

export interface Scenario {
  readonly seed: number;
  readonly workflows: readonly WorkflowSpec[];
  readonly faults: readonly Fault[];
  /** Absent in scenario files written before schedules were simulated. */
  readonly schedules?: readonly ScheduleSpec[];
}

export const HISTORY_NODES = ['history-1', 'history-2', 'history-3'] as const;
/** The history host that joins the cluster for a while (membership churn). */
export const SPARE_HISTORY_NODE = 'history-4';
export const MATCHING_NODES = ['matching-1'] as const;
export const FRONTEND_NODE = 'frontend-1';
export const WORKER_NODES = ['worker-1', 'worker-2'] as const;
export const CLIENT_NODE = 'client';

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.int(items.length)] as T;
}

function plan(random: SeededRandom, depth: number): Plan {
  const activities = random.int(4);
  const failFirst = Array.from({ length: activities }, () => (random.next() < 0.3 ? 1 + random.int(3) : 0));
  const hangFirst = Array.from({ length: activities }, () => random.next() < 0.1);
  const timersMs = Array.from({ length: random.int(3) }, () => 1 + random.int(90_000));
  const child = depth === 0 && random.next() < 0.25 ? plan(random, 1) : undefined;
  const continues = depth === 0 && random.next() < 0.25 ? 1 + random.int(2) : 0;
  const signals = depth === 0 && continues === 0 && random.next() < 0.4 ? 1 + random.int(3) : 0;
  const localFailFirst = random.next() < 0.2 ? random.int(3) : undefined;
  return {
    failFirst,
    hangFirst,
    timersMs,
    signals,
    continues,
    ...(child ? { child } : {}),
    ...(localFailFirst === undefined ? {} : { localFailFirst }),
  };
}

/**
 * 1–3 updates at random times: accepted (only where the workflow does not continue as new, so that they all reach
 * the one run that waits for them), refused by the validator, or unknown; an accepted one is often sent twice.
 */
function updateSpecs(random: SeededRandom, startAtMs: number, mayAccept: boolean): UpdateSpec[] {
  return Array.from({ length: 1 + random.int(3) }, () => {
    const atMs = startAtMs + random.int(120_000);
    const roll = random.next();
    if (mayAccept && roll < 0.6) {
      const again = random.next() < 0.4 ? { againAtMs: atMs + 1 + random.int(150_000) } : {};
      return { atMs, value: 1 + random.int(100), ...again };
    }
    return roll < 0.85 ? { atMs, value: -random.int(5) } : { atMs };
  });
}

/** How big a scenario is: workflows and faults, each a range (inclusive). */
export interface Intensity {
  readonly workflows: readonly [number, number];
  readonly faults: readonly [number, number];
  readonly schedules: readonly [number, number];
}

/** What CI and the default soak run. */
export const NORMAL: Intensity = { workflows: [4, 8], faults: [2, 9], schedules: [0, 1] };
/** Many workflows and faults at once (`--heavy`): slower, more overlap between faults. */
export const HEAVY: Intensity = { workflows: [12, 24], faults: [10, 24], schedules: [1, 3] };

function between(random: SeededRandom, [min, max]: readonly [number, number]): number {
  return min + random.int(max - min + 1);
}

/** The workload and the faults of one seed; the same seed always gives the same scenario. */
export function generateScenario(
  seed: number,
  random: SeededRandom,
  intensity: Intensity = NORMAL,
): Scenario {
  const workflows: WorkflowSpec[] = [];
  const count = between(random, intensity.workflows);
  for (let i = 0; i < count; i++) {
    const startAtMs = random.int(60_000);
    if (random.next() < 0.1) {
      // Often terminated before its first workflow task completed.
      workflows.push({
        workflowId: `wf-${seed}-${i}`,
        type: 'cancellable',
        base: 0,
        startAtMs,
        signals: [],
        terminateAtMs: startAtMs + (random.next() < 0.5 ? random.int(20) : random.int(60_000)),
      });
      continue;
    }
    if (random.next() < 0.15) {
      workflows.push({
        workflowId: `wf-${seed}-${i}`,
        type: 'cancellable',
        base: 100 + random.int(100),
        ...(random.next() < 0.5 ? { inActivity: true } : {}),
        startAtMs,
        signals: [],
        cancelAtMs: startAtMs + 1 + random.int(120_000),
      });
      continue;
    }
    let p = plan(random, 0);
    const updates = random.next() < 0.4 ? updateSpecs(random, startAtMs, p.continues === 0) : [];
    const accepted = updates.filter(isAccepted).length;
    if (accepted > 0)
      p = {
        ...p,
        updates: accepted,
        ...(random.next() < 0.5 ? { updateSleepMs: 1 + random.int(30_000) } : {}),
      };
    workflows.push({
      workflowId: `wf-${seed}-${i}`,
      type: 'planned',
      plan: p,
      ...(updates.length > 0 ? { updates } : {}),
      startAtMs,
      signals: Array.from({ length: p.signals }, () => ({
        value: 1 + random.int(1000),
        atMs: startAtMs + 1 + random.int(150_000),
      })),
    });
  }
  const faults: Fault[] = [];
  const servers = [...HISTORY_NODES, ...MATCHING_NODES, FRONTEND_NODE];
  const faultCount = between(random, intensity.faults);
  for (let i = 0; i < faultCount; i++) {
    const atMs = 1_000 + random.int(200_000);
    const kind = pick<FaultKind>(random, [
      'crash',
      'pause',
      'clock-jump',
      'partition',
      'shard-move',
      'join',
      'db-errors',
      'network-chaos',
      'worker-crash',
    ]);
    switch (kind) {
      case 'crash':
        faults.push({ kind, atMs, forMs: 1_000 + random.int(60_000), target: pick(random, servers) });
        break;
      case 'pause':
        // Long enough, often, to outlive the membership TTL and the shard lease (or an activity's timeout).
        faults.push({
          kind,
          atMs,
          forMs: 5_000 + random.int(150_000),
          target: pick<string>(random, [...servers, ...WORKER_NODES]),
        });
        break;
      case 'clock-jump':
        faults.push({
          kind,
          atMs,
          forMs: 0,
          target: pick<string>(random, [...servers, ...WORKER_NODES]),
          jumpMs: 1 + random.int(5_000),
        });
        break;
      case 'partition': {
        const a = pick<string>(random, [...servers, ...WORKER_NODES]);
        const b = pick<string>(
          random,
          [...servers, ...WORKER_NODES].filter((n) => n !== a),
        );
        faults.push({ kind, atMs, forMs: 1_000 + random.int(60_000), target: a, peer: b });
        break;
      }
      case 'shard-move':
        // A history host leaves the ring (stops) and comes back: its shards move away and back.
        faults.push({ kind, atMs, forMs: 5_000 + random.int(60_000), target: pick(random, HISTORY_NODES) });
        break;
      case 'join':
        faults.push({ kind, atMs, forMs: 5_000 + random.int(90_000), target: SPARE_HISTORY_NODE });
        break;
      case 'db-errors':
      case 'network-chaos':
        faults.push({ kind, atMs, forMs: 5_000 + random.int(60_000), target: '' });
        break;
      case 'worker-crash':
        faults.push({ kind, atMs, forMs: 1_000 + random.int(30_000), target: pick(random, WORKER_NODES) });
        break;
    }
  }
  faults.sort((x, y) => x.atMs - y.atMs);
  const schedules: ScheduleSpec[] = [];
  const scheduleCount = between(random, intensity.schedules);
  for (let i = 0; i < scheduleCount; i++) {
    const createAtMs = random.int(60_000);
    const everyMs = pick(random, [20_000, 30_000, 45_000, 60_000]);
    const common = {
      scheduleId: `sched-${seed}-${i}`,
      workflowIdPrefix: `tick-${seed}-${i}`,
      everyMs,
      createAtMs,
    };
    const roll = random.next();
    const until = createAtMs + 30_000 + random.int(150_000);
    schedules.push(
      roll < 0.2
        ? { ...common, createPaused: true }
        : roll < 0.5
          ? { ...common, pauseAtMs: until }
          : { ...common, endAtMs: until },
    );
  }
  return { seed, workflows, faults, ...(schedules.length > 0 ? { schedules } : {}) };
}

function planResult(p: Plan, carried: number, signalSum: number, updateSum: number): number {
  let total = carried;
  for (let i = 0; i < p.failFirst.length; i++) total += i + 1;
  if (p.localFailFirst !== undefined) total += 100;
  if (p.child) total += planResult(p.child, 0, 0, 0);
  if (p.signals > 0) total += signalSum;
  if (p.updates) total += updateSum;
  if (p.continues > 0) return planResult({ ...p, continues: p.continues - 1 }, total, signalSum, updateSum);
  return total;
}

/** What the workflow's code returns, given its plan and the signals the client sends it. */
export function expectedResult(spec: WorkflowSpec): number {
  if (spec.type === 'cancellable') return (spec.base ?? 0) + 1;
  const signalSum = spec.signals.reduce((sum, s) => sum + s.value, 0);
  const updateSum = (spec.updates ?? []).filter(isAccepted).reduce((sum, u) => sum + (u.value ?? 0), 0);
  return planResult(spec.plan as Plan, 0, signalSum, updateSum);
}

/** How many runs the workflow goes through (continue-as-new). */
export function expectedRuns(spec: WorkflowSpec): number {
  return spec.type === 'planned' ? (spec.plan?.continues ?? 0) + 1 : 1;
}
