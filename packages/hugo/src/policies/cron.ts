import { Cron } from 'croner';

/**
 * The first occurrence of `expression` strictly after `from` (epoch milliseconds), or undefined when there is
 * none. Uses croner (5- or 6-field expressions, seconds first when 6); `timezone` is an IANA name, UTC by default.
 * Replaces Hugo's toy `CronSchedule`, which swapped the minute and hour fields and could return past times.
 */
export function cronNext(expression: string, from: number | Date, timezone = 'UTC'): number | undefined {
  const fromMs = typeof from === 'number' ? from : from.getTime();
  const job = new Cron(expression, { timezone, paused: true });
  try {
    const next = job.nextRun(new Date(fromMs));
    if (!next) return undefined;
    const at = next.getTime();
    return at > fromMs ? at : undefined;
  } finally {
    job.stop();
  }
}
