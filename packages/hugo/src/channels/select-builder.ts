import { type Clock, systemClock } from '../clock.js';
import { after } from './timers.js';
import {
  type CaseOutcome,
  channelCase,
  defaultCase,
  type SelectCase,
  type SelectOptions,
  select,
} from './select.js';
import type { Result } from '../result/result.js';
import type { ChannelReader } from './types.js';

interface DeadlineSpec<R> {
  readonly dueInMs: number;
  readonly handler: (signal: AbortSignal) => CaseOutcome<R>;
  readonly priority: number;
}

/**
 * Hugo's `SelectBuilder`: `selectBuilder<R>(options).case(reader, h).deadline(100, h).execute()`.
 * Cases keep the order they were added in, which is the tie-break among equal priorities.
 */
export class SelectBuilder<R> {
  private readonly cases: (SelectCase<R> | DeadlineSpec<R>)[] = [];
  private hasDefault = false;
  private readonly clock: Clock;

  constructor(private readonly options: SelectOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  case<T>(
    reader: ChannelReader<T>,
    handler: (value: T, signal: AbortSignal) => CaseOutcome<R>,
    priority = 0,
  ): this {
    this.cases.push(channelCase(reader, handler, priority));
    return this;
  }

  /** The case for "nothing ready"; a second default throws. */
  default(handler: (signal: AbortSignal) => CaseOutcome<R>, priority = 0): this {
    if (this.hasDefault) throw new TypeError('A default case has already been configured.');
    this.hasDefault = true;
    this.cases.push(defaultCase(handler, priority));
    return this;
  }

  /** A case that fires `dueInMs` after `execute()` starts (Hugo builds it from `After`). */
  deadline(dueInMs: number, handler: (signal: AbortSignal) => CaseOutcome<R>, priority = 0): this {
    if (!Number.isFinite(dueInMs) || dueInMs < 0) {
      throw new RangeError(`Deadline must be a finite, non-negative number, got ${dueInMs}.`);
    }
    this.cases.push({ dueInMs, handler, priority });
    return this;
  }

  async execute(): Promise<Result<R>> {
    // Deadline timers belong to this run: they start now and are cancelled when the select is over.
    const stop = new AbortController();
    const cases = this.cases.map((c): SelectCase<R> => {
      if ('kind' in c) return c;
      const timer = after(c.dueInMs, { clock: this.clock, signal: stop.signal });
      return channelCase(timer, (_at: number, signal) => c.handler(signal), c.priority);
    });
    try {
      return await select(cases, this.options);
    } finally {
      stop.abort();
    }
  }
}

/** Hugo's `Go.Select<R>(…)` builder. */
export function selectBuilder<R>(options: SelectOptions = {}): SelectBuilder<R> {
  return new SelectBuilder<R>(options);
}
