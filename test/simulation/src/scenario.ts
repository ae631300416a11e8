import { SeededRandom } from '@odin/runtime';
import { generateScenario, HEAVY, NORMAL, type Scenario } from './workload.js';

/** The scenario a seed stands for: its workload and its faults, drawn from a random source of its own. */
export function scenarioForSeed(seed: number, heavy = false): Scenario {
  return generateScenario(seed, new SeededRandom(seed >>> 0), heavy ? HEAVY : NORMAL);
}

/** The one-line command that replays a seed (or a shrunk scenario file) exactly. */
export function replayCommand(seed: number, scenarioFile?: string, heavy = false): string {
  const what = scenarioFile ? `--scenario ${scenarioFile}` : `--seed ${seed}${heavy ? ' --heavy' : ''}`;
  return `node --conditions=@odin/source --import tsx test/simulation/src/cli.ts ${what}`;
}
