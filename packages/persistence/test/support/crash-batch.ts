import type { CreateTransition } from '../../src/contract.js';
import { create, key } from './fixtures.js';

export const CRASH_SHARD = 40_000;
export const CRASH_RUNS_PER_BATCH = 20;
export const CRASH_EVENTS_PER_RUN = 100;

export function crashKey(batch: number, run: number, prefix = 'crash') {
  return key(`${prefix}-b${batch}-r${run}`, `${prefix}-run-b${batch}-r${run}`);
}

/** A batch whose runs are all present or all absent after any crash. */
export function crashBatch(batch: number, shardId: number, prefix = 'crash'): CreateTransition[] {
  return Array.from({ length: CRASH_RUNS_PER_BATCH }, (_, r) =>
    create(crashKey(batch, r, prefix), shardId, { eventCount: CRASH_EVENTS_PER_RUN }),
  );
}
