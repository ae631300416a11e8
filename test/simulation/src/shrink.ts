import type { RunReport } from './simulation.js';
import type { Fault, Scenario, ScheduleSpec, WorkflowSpec } from './workload.js';
import type { Plan } from './workflows.js';

/**
 * Smaller versions of a list: without any item, without each half (long lists), without each single item. Big
 * steps first, so that a failure needing one item of many is found in a few runs.
 */
function* fewer<T>(items: readonly T[]): Generator<T[]> {
  if (items.length > 1) yield [];
  if (items.length > 3) {
    const half = Math.floor(items.length / 2);
    yield items.slice(half);
    yield items.slice(0, half);
  }
  for (let i = 0; i < items.length; i++) yield items.filter((_, j) => j !== i);
}

function withItem<T>(items: readonly T[], i: number, item: T): T[] {
  return items.map((x, j) => (j === i ? item : x));
}

/** Smaller plans: fewer activities, retries, timers (and shorter ones), no child or a smaller one, fewer runs. */
function* smallerPlans(plan: Plan): Generator<Plan> {
  for (let i = 0; i < plan.failFirst.length; i++)
    yield {
      ...plan,
      failFirst: plan.failFirst.filter((_, j) => j !== i),
      hangFirst: plan.hangFirst.filter((_, j) => j !== i),
    };
  for (let i = 0; i < plan.failFirst.length; i++) {
    const fails = plan.failFirst[i] ?? 0;
    if (fails > 0) yield { ...plan, failFirst: withItem(plan.failFirst, i, fails - 1) };
    if (plan.hangFirst[i]) yield { ...plan, hangFirst: withItem(plan.hangFirst, i, false) };
  }
  if (plan.localFailFirst !== undefined) {
    const { localFailFirst, ...rest } = plan;
    yield rest;
    if (localFailFirst > 0) yield { ...plan, localFailFirst: localFailFirst - 1 };
  }
  for (let i = 0; i < plan.timersMs.length; i++)
    yield { ...plan, timersMs: plan.timersMs.filter((_, j) => j !== i) };
  for (let i = 0; i < plan.timersMs.length; i++) {
    const ms = plan.timersMs[i] ?? 1;
    if (ms > 1) yield { ...plan, timersMs: withItem(plan.timersMs, i, Math.floor(ms / 2)) };
  }
  if (plan.child) {
    const { child, ...rest } = plan;
    yield rest;
    for (const smaller of smallerPlans(child)) yield { ...plan, child: smaller };
  }
  if (plan.continues > 0) yield { ...plan, continues: plan.continues - 1 };
  if (plan.updateSleepMs !== undefined) {
    const { updateSleepMs: _, ...rest } = plan;
    yield rest;
  }
}

/**
 * Smaller versions of one workflow that its code still completes: a smaller plan, one signal or update fewer (the
 * plan waiting for one fewer), an update sent once instead of twice. Cancellation and termination stay: without
 * them a `cancellable` workflow would never close.
 */
function* smallerWorkflows(spec: WorkflowSpec): Generator<WorkflowSpec> {
  if (spec.type === 'cancellable') {
    if (spec.inActivity) {
      const { inActivity: _, ...rest } = spec;
      yield rest;
    }
    return;
  }
  const plan = spec.plan as Plan;
  for (let i = 0; i < spec.signals.length; i++)
    yield {
      ...spec,
      plan: { ...plan, signals: plan.signals - 1 },
      signals: spec.signals.filter((_, j) => j !== i),
    };
  const updates = spec.updates ?? [];
  for (let i = 0; i < updates.length; i++) {
    const rest = updates.filter((_, j) => j !== i);
    const accepted = (plan.updates ?? 0) - ((updates[i]?.value ?? 0) >= 1 ? 1 : 0);
    const { updates: _u, updateSleepMs: _s, ...planRest } = plan;
    const { updates: _w, ...specRest } = spec;
    yield {
      ...specRest,
      plan: accepted > 0 ? { ...plan, updates: accepted } : planRest,
      ...(rest.length > 0 ? { updates: rest } : {}),
    };
  }
  for (let i = 0; i < updates.length; i++) {
    const update = updates[i];
    if (update?.againAtMs === undefined) continue;
    const { againAtMs: _, ...once } = update;
    yield { ...spec, updates: withItem(updates, i, once) };
  }
  for (const smaller of smallerPlans(plan)) yield { ...spec, plan: smaller };
}

/** A fault that lasts half as long (a clock jump half as far). */
function shorter(fault: Fault): Fault | undefined {
  if (fault.kind === 'clock-jump')
    return (fault.jumpMs ?? 0) > 1 ? { ...fault, jumpMs: Math.floor((fault.jumpMs ?? 0) / 2) } : undefined;
  return fault.forMs >= 2_000 ? { ...fault, forMs: Math.round(fault.forMs / 2) } : undefined;
}

/** A schedule that acts for half as long before it ends or is paused. */
function shorterSchedule(schedule: ScheduleSpec): ScheduleSpec | undefined {
  const halve = (at: number) => schedule.createAtMs + Math.floor((at - schedule.createAtMs) / 2);
  if (schedule.endAtMs !== undefined && schedule.endAtMs - schedule.createAtMs > schedule.everyMs)
    return { ...schedule, endAtMs: halve(schedule.endAtMs) };
  if (schedule.pauseAtMs !== undefined && schedule.pauseAtMs - schedule.createAtMs > schedule.everyMs)
    return { ...schedule, pauseAtMs: halve(schedule.pauseAtMs) };
  return undefined;
}

function* smallerScenarios(s: Scenario): Generator<Scenario> {
  for (const faults of fewer(s.faults)) yield { ...s, faults };
  for (const workflows of fewer(s.workflows)) yield { ...s, workflows };
  const schedules = s.schedules ?? [];
  for (const fewerSchedules of fewer(schedules)) {
    const { schedules: _, ...rest } = s;
    yield fewerSchedules.length > 0 ? { ...rest, schedules: fewerSchedules } : rest;
  }
  for (let i = 0; i < s.faults.length; i++) {
    const fault = shorter(s.faults[i] as Fault);
    if (fault) yield { ...s, faults: withItem(s.faults, i, fault) };
  }
  for (let i = 0; i < schedules.length; i++) {
    const schedule = shorterSchedule(schedules[i] as ScheduleSpec);
    if (schedule) yield { ...s, schedules: withItem(schedules, i, schedule) };
  }
  for (let i = 0; i < s.workflows.length; i++)
    for (const smaller of smallerWorkflows(s.workflows[i] as WorkflowSpec))
      yield { ...s, workflows: withItem(s.workflows, i, smaller) };
}

/**
 * Reduces a failing scenario. It tries smaller scenarios, biggest steps first: without faults, workflows or
 * schedules (all of them, half of them, one at a time), with shorter fault windows (and smaller clock jumps),
 * schedules acting for less long, and then inside each workflow: fewer activities, retries, timers, signals and
 * updates, shorter timers, no child (or a smaller one), fewer continue-as-new runs. Every candidate is a workload
 * a correct server completes, so a candidate that still fails fails for the server's sake. Each reduction after
 * which the scenario still fails is kept, and the search goes on from there until a whole round over the
 * candidates of the current scenario keeps none (or `maxRuns` runs were made). The scheduler keeps the seed's
 * randomness, so the reduced scenario is again one exact run, replayed from its file.
 */
export async function shrink(
  scenario: Scenario,
  run: (scenario: Scenario) => Promise<RunReport>,
  log: (line: string) => void = () => undefined,
  maxRuns = 400,
): Promise<{ scenario: Scenario; report: RunReport; runs: number }> {
  let current = scenario;
  let report = await run(current);
  let runs = 1;
  if (report.failures.length === 0) return { scenario, report, runs };
  for (let progress = true; progress && runs < maxRuns; ) {
    progress = false;
    // After a reduction the search resumes at the same position in the new scenario's candidates: those before
    // it were tried (on a slightly bigger scenario) in this round, the next round tries them again.
    for (let index = 0; runs < maxRuns; index++) {
      const candidate = [...smallerScenarios(current)][index];
      if (!candidate) break;
      if (candidate.workflows.length === 0 && !candidate.schedules?.length) continue;
      const attempt = await run(candidate);
      runs++;
      if (attempt.failures.length === 0) continue;
      current = candidate;
      report = attempt;
      progress = true;
      index--;
      log(`shrunk to ${describe(current)}`);
    }
  }
  return { scenario: current, report, runs };
}

/** How big a scenario is, in a few words. */
export function describe(s: Scenario): string {
  const steps = s.workflows.reduce(
    (sum, w) => sum + planSize(w.plan) + w.signals.length + (w.updates?.length ?? 0),
    0,
  );
  return `${s.workflows.length} workflows (${steps} steps), ${s.faults.length} faults, ${s.schedules?.length ?? 0} schedules`;
}

function planSize(plan: Plan | undefined): number {
  if (!plan) return 0;
  return (
    plan.failFirst.length +
    plan.timersMs.length +
    (plan.localFailFirst === undefined ? 0 : 1) +
    plan.continues +
    planSize(plan.child) +
    (plan.child ? 1 : 0)
  );
}
