// The simulator's command line:
//   --seed N            run one seed (the replay command a failure prints)
//   --scenario FILE     run a scenario file (a shrunk failure)
//   --soak COUNT        run COUNT seeds from --from (default: a random start); the first failure is kept in
//                       regressions/ and ends the soak
//   --shrink            with --seed or --scenario: reduce a failing scenario and write it to a file
//   --heavy             bigger scenarios: 12-24 workflows, 10-24 faults (with --seed or --soak)
//   --verbose           print the tail of the trace of a failing run
//   --trace LINES       print the last LINES lines of the run's trace
//   --help              print these options
import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { replayCommand, scenarioForSeed } from './scenario.js';
import { describe, shrink } from './shrink.js';
import { type RunReport, runScenario } from './simulation.js';
import type { Scenario } from './workload.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    scenario: { type: 'string' },
    soak: { type: 'string' },
    from: { type: 'string' },
    shrink: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    heavy: { type: 'boolean', default: false },
    trace: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const USAGE = `node --conditions=@odin/source --import tsx test/simulation/src/cli.ts [options]
  --seed N            run one seed (the replay command a failure prints)
  --scenario FILE     run a scenario file (a shrunk failure, a regression scenario)
  --soak COUNT        run COUNT seeds from --from (default: a random start); the first failure is kept in
                      test/simulation/regressions/ and ends the soak
  --from N            the soak's first seed
  --shrink            with --seed or --scenario: reduce a failing scenario, write it to a file, print its replay
  --heavy             bigger scenarios: 12-24 workflows, 10-24 faults, 1-3 schedules (with --seed or --soak)
  --verbose           print the tail of the trace of a failing run
  --trace LINES       print the last LINES lines of the run's trace`;

/** Every scenario that ever failed is kept here (whole, since the generator may change) and replayed in CI. */
const regressionDir = new URL('../regressions/', import.meta.url).pathname;

function summary(report: RunReport, ms: number): string {
  return (
    `seed ${report.seed}: ${report.failures.length === 0 ? 'ok' : 'FAILED'} ` +
    `(${report.workflows} workflows, ${report.events} events, ${report.traceLines} trace lines, ` +
    `${Math.round(report.virtualMs / 1000)} virtual s, ${ms} ms) trace ${report.traceHash.slice(0, 16)}`
  );
}

function printFailure(report: RunReport, scenarioFile?: string): void {
  for (const failure of report.failures) console.log(`  - ${failure}`);
  if (values.verbose) for (const line of report.traceTail) console.log(`    ${line}`);
  console.log(`  replay: ${replayCommand(report.seed, scenarioFile, values.heavy)}`);
}

function remember(scenario: Scenario): void {
  const file = `${regressionDir}seed-${scenario.seed}.json`;
  writeFileSync(file, `${JSON.stringify(scenario, null, 2)}\n`);
  console.log(`  kept as a regression scenario: ${file}`);
}

async function runOne(scenario: Scenario, scenarioFile?: string): Promise<RunReport> {
  const began = Date.now();
  const report = await runScenario(scenario, values.trace ? { traceLines: Number(values.trace) } : {});
  console.log(summary(report, Date.now() - began));
  if (values.trace) for (const line of report.traceTail) console.log(`    ${line}`);
  if (report.failures.length > 0) printFailure(report, scenarioFile);
  return report;
}

async function main(): Promise<number> {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.soak) {
    const count = Number(values.soak);
    const from = values.from ? Number(values.from) : randomInt(2 ** 31);
    for (let seed = from; seed < from + count; seed++) {
      const scenario = scenarioForSeed(seed, values.heavy);
      const report = await runOne(scenario);
      if (report.failures.length > 0) {
        remember(scenario);
        return 1;
      }
    }
    return 0;
  }
  const scenario: Scenario = values.scenario
    ? JSON.parse(readFileSync(values.scenario, 'utf8'))
    : scenarioForSeed(Number(values.seed ?? '1'), values.heavy);
  if (!values.shrink) {
    const report = await runOne(scenario, values.scenario);
    return report.failures.length === 0 ? 0 : 1;
  }
  const result = await shrink(
    scenario,
    (s) => runScenario(s),
    (line) => console.log(line),
  );
  if (result.report.failures.length === 0) {
    console.log(`seed ${scenario.seed} does not fail; nothing to shrink`);
    return 0;
  }
  const file = `sim-shrunk-${scenario.seed}.json`;
  writeFileSync(file, `${JSON.stringify(result.scenario, null, 2)}\n`);
  console.log(`shrunk in ${result.runs} runs to ${describe(result.scenario)}: ${file}`);
  printFailure(result.report, file);
  return 1;
}

process.exitCode = await main();
