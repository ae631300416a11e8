/**
 * Cron schedules as Temporal accepts them (UTC): five fields `minute hour day-of-month month day-of-week` with `*`,
 * lists, ranges and steps; `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`; and
 * `@every <duration>` (Go-style units h, m, s, ms). Returns the next fire time strictly after `afterMs`.
 */
export interface CronSchedule {
  next(afterMs: number): number;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE_MS = 60_000;

/** Parses a schedule; throws an Error with a message a person can act on when it is not valid. */
export function parseCron(spec: string): CronSchedule {
  const text = spec.trim();
  if (text.startsWith('@every ')) {
    const everyMs = parseDuration(text.slice(7).trim());
    if (everyMs <= 0)
      throw new Error(`cron schedule "${spec}": @every needs a positive duration such as 1h30m`);
    return { next: (after) => (Math.floor(after / everyMs) + 1) * everyMs };
  }
  const fields = (MACROS[text] ?? text).split(/\s+/);
  if (fields.length !== 5) {
    throw new Error(
      `cron schedule "${spec}" must have 5 fields (minute hour day-of-month month day-of-week)`,
    );
  }
  const [minute, hour, dom, month, dow] = [
    parseField(fields[0]!, 0, 59, spec),
    parseField(fields[1]!, 0, 23, spec),
    parseField(fields[2]!, 1, 31, spec),
    parseField(fields[3]!, 1, 12, spec),
    parseField(fields[4]!, 0, 7, spec),
  ];
  if (dow.values.has(7)) dow.values.add(0);
  const dayMatches = (d: Date) => {
    const byDom = dom.values.has(d.getUTCDate());
    const byDow = dow.values.has(d.getUTCDay());
    if (dom.star && dow.star) return true;
    if (dom.star) return byDow;
    if (dow.star) return byDom;
    return byDom || byDow;
  };
  return {
    next(after) {
      let t = (Math.floor(after / MINUTE_MS) + 1) * MINUTE_MS;
      const limit = after + 5 * 366 * 24 * 60 * MINUTE_MS;
      while (t <= limit) {
        const d = new Date(t);
        if (!month.values.has(d.getUTCMonth() + 1)) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
          continue;
        }
        if (!dayMatches(d)) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
          continue;
        }
        if (!hour.values.has(d.getUTCHours())) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
          continue;
        }
        if (!minute.values.has(d.getUTCMinutes())) {
          t += MINUTE_MS;
          continue;
        }
        return t;
      }
      throw new Error(`cron schedule "${spec}" never fires`);
    },
  };
}

function parseField(
  field: string,
  min: number,
  max: number,
  spec: string,
): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  const bad = () =>
    new Error(
      `cron schedule "${spec}": field "${field}" must be *, a number ${min}-${max}, a range or a step`,
    );
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || range === undefined) throw bad();
    let lo = min;
    let hi = max;
    if (range !== '*') {
      const [a, b] = range.split('-');
      lo = Number(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : Number(b);
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < min || hi > max || lo > hi) throw bad();
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star: field === '*' };
}

function parseDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!m) return -1;
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}
