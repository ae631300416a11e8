// The workflow the @odin/sdk worker of scenario 30 runs: what a schedule starts (plain async function, no bundler).
import { workflowInfo } from '@odin/sdk/workflow';

export async function odinScheduled(team: string, count: number): Promise<string> {
  return `${team}:${count}:${String(workflowInfo().memo.owner)}`;
}
