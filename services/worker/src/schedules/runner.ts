import { temporal } from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  type PersistenceStore,
  ScheduleNotFoundError,
  ScheduleVersionConflictError,
} from '@odin/persistence';
import type { Logger } from '@odin/runtime';
import { processSchedule, type ScheduleWorkflows } from './processor.js';
import { compileSpec } from './spec.js';
import { decodeRunState, encodeRunState } from './state.js';
import { BackgroundLoop } from '../background-loop.js';

const v1 = temporal.api.schedule.v1;

export interface ScheduleRunnerOptions {
  store: Pick<PersistenceStore, 'schedules' | 'namespaces'>;
  clock: Clock;
  logger: Logger;
  workflows: ScheduleWorkflows;
  /** Longest time between two scans of the due schedules (a change made by another process); default 1 s. */
  scanIntervalMs?: number;
  /** Due schedules taken per scan; default 100. */
  batchSize?: number;
  /** Passes run at the same time; default 8. */
  concurrency?: number;
}

/**
 * The schedules' system worker: scans the schedules whose wake time has come (an indexed column of the schedules
 * table), runs one pass of each (processor.ts) and writes its state and next wake time back with a
 * compare-and-set. All it knows lives in that row, so a restart, or another worker process taking over, goes on
 * where the last write left off; a pass whose write loses the compare-and-set is dropped and run again from the
 * row, its starts deduplicated by their request ids. Between scans it sleeps on the clock until the earliest
 * wake time it knows, the scan interval, or `wake()` (a change made in this process).
 */
export class ScheduleRunner {
  private readonly scanIntervalMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly background = new BackgroundLoop((signal) => this.run(signal));
  private wakeUp: AbortController = new AbortController();
  private passCount = 0;
  /** The earliest next wake time the last scan's passes wrote (the loop sleeps no longer than until then). */
  private earliestWake: number | undefined;

  constructor(private readonly options: ScheduleRunnerOptions) {
    this.scanIntervalMs = Math.max(1, options.scanIntervalMs ?? 1_000);
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
  }

  /** Schedule passes run since this runner was created. */
  get passes(): number {
    return this.passCount;
  }

  start(signal?: AbortSignal): void {
    this.background.start(signal);
  }

  async stop(): Promise<void> {
    const stopped = this.background.stop();
    this.wakeUp.abort();
    await stopped;
  }

  /** A schedule became due at `at` (or earlier): scan at once when that is now. */
  wake(at?: number): void {
    if (at === undefined || at <= this.options.clock.now() + this.scanIntervalMs) this.wakeUp.abort();
  }

  /** One scan: every due schedule gets a pass. Returns the number of passes. */
  async runDue(signal: AbortSignal = this.background.signal): Promise<number> {
    const due = await this.options.store.schedules.listDueSchedules(this.options.clock.now(), this.batchSize);
    let n = 0;
    let next = 0;
    this.earliestWake = undefined;
    // A few passes at a time: each waits mostly on the database and the frontend, not on this process.
    const lane = async () => {
      while (next < due.length && !signal.aborted) {
        const { namespaceId, scheduleId } = due[next++]!;
        try {
          await this.runOne(namespaceId, scheduleId, signal);
          n++;
        } catch (error) {
          if (!signal.aborted)
            this.options.logger.warn(
              { err: error, schedule_id: scheduleId },
              'schedule pass failed; retried at the next scan',
            );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, lane));
    return n;
  }

  private noteWake(at: number | undefined): void {
    if (at !== undefined && (this.earliestWake === undefined || at < this.earliestWake))
      this.earliestWake = at;
  }

  private async runOne(namespaceId: string, scheduleId: string, signal: AbortSignal): Promise<void> {
    const { store, clock, logger, workflows } = this.options;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const record = await store.schedules.getSchedule(namespaceId, scheduleId);
      if (!record) return;
      const now = clock.now();
      if (record.nextWakeTime === null || record.nextWakeTime > now) return;
      const namespace = await store.namespaces.getNamespaceById(namespaceId);
      if (!namespace) return;
      const schedule = v1.Schedule.decode(record.schedule);
      const state = decodeRunState(record.state, now);
      const next = await processSchedule({
        namespace: namespace.name,
        scheduleId,
        schedule,
        state,
        spec: compileSpec(schedule.spec ?? {}, scheduleId),
        now,
        workflows,
        signal,
        logger: logger.child({ namespace: namespace.name, schedule_id: scheduleId }),
      });
      this.passCount++;
      try {
        await store.schedules.updateSchedule(
          {
            namespaceId,
            scheduleId,
            schedule: v1.Schedule.encode(schedule).finish(),
            memo: record.memo,
            searchAttributes: record.searchAttributes,
            state: encodeRunState(state),
            nextWakeTime: next ?? null,
            updatedAt: record.updatedAt,
          },
          record.version,
        );
        this.noteWake(next);
        return;
      } catch (error) {
        // Deleted meanwhile: nothing left to do (its started workflows run on, as in Temporal).
        if (error instanceof ScheduleNotFoundError) return;
        // Changed meanwhile (a patch, an update, another worker): run the pass again on what is there now.
        if (!(error instanceof ScheduleVersionConflictError)) throw error;
      }
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.options;
    while (!signal.aborted) {
      this.wakeUp = new AbortController();
      let passes = 0;
      try {
        passes = await this.runDue(signal);
      } catch (error) {
        if (!signal.aborted) logger.warn({ err: error }, 'schedule scan failed');
      }
      if (signal.aborted) return;
      // A full batch: more may be due, scan again at once.
      if (passes >= this.batchSize) continue;
      const sleep = AbortSignal.any([signal, this.wakeUp.signal]);
      const untilWake =
        this.earliestWake === undefined ? this.scanIntervalMs : this.earliestWake - clock.now();
      try {
        await clock.sleep(Math.max(0, Math.min(this.scanIntervalMs, untilWake)), sleep);
      } catch {
        // Woken (a change in this process) or stopping.
      }
    }
  }
}
