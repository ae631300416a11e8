// A workflow for the schedule client's end-to-end test: what a schedule starts, so the test sees its arguments
// and memo arrive (through the payload codec) in an @odin/sdk worker.
import { workflowInfo } from '../../src/workflow/index.js';

export async function scheduledReport(team: string, count: number): Promise<string> {
  return `${team}:${count}:${String(workflowInfo().memo.owner)}`;
}
