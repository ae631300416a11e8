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

/** Month names of cron's month field, January first (month 1). */
export const CRON_MONTHS: readonly string[] = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
/** Day names of cron's day-of-week field, Sunday first (day 0). */
export const CRON_DAYS: readonly string[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** The cron macros Temporal accepts, as the five-field expression each stands for. */
export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
