// CPU time of a process or thread from Linux /proc, as the peer script reads it (utime + stime, in clock ticks).
import { readFileSync } from 'node:fs';

const CLK_TCK = 100;

/** utime + stime in seconds of a process (all its threads), or of one thread given its `/proc/<pid>/task/<tid>/stat`. */
export function cpuSeconds(pid: number, statPath = `/proc/${pid}/stat`): number {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
