import type { RunReport } from './simulation.js';
import type { Scenario } from './workload.js';

/**
 * Reduces a failing scenario: drops faults, then workflows, then signals, one at a time, keeping each removal after
 * which the scenario still fails, until no single removal keeps it failing (a 1-minimal scenario for this search).
 * The scheduler's randomness stays the seed's, so a smaller scenario is still one exact, replayable run.
 */
export async function shrink(
  scenario: Scenario,
  run: (scenario: Scenario) => Promise<RunReport>,
  log: (line: string) => void = () => undefined,
  maxRuns = 200,
): Promise<{ scenario: Scenario; report: RunReport; runs: number }> {
  let current = scenario;
  let report = await run(current);
  let runs = 1;
  if (report.failures.length === 0) return { scenario, report, runs };
  const candidates = function* (s: Scenario): Generator<Scenario> {
    for (let i = 0; i < s.faults.length; i++) yield { ...s, faults: s.faults.filter((_, j) => j !== i) };
    for (let i = 0; i < s.workflows.length; i++)
      yield { ...s, workflows: s.workflows.filter((_, j) => j !== i) };
  };
  for (let progress = true; progress && runs < maxRuns; ) {
    progress = false;
    for (const candidate of candidates(current)) {
      if (runs >= maxRuns || candidate.workflows.length === 0) continue;
      const attempt = await run(candidate);
      runs++;
      if (attempt.failures.length > 0) {
        current = candidate;
        report = attempt;
        progress = true;
        log(`shrunk to ${current.workflows.length} workflows, ${current.faults.length} faults`);
        break;
      }
    }
  }
  return { scenario: current, report, runs };
}
