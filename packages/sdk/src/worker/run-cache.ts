import { LRUCache } from 'lru-cache';
import type { WorkflowActivator } from '../workflow/activator.js';
import type { LiveActivation } from '../workflow/task-runner.js';

export interface CachedRun {
  readonly activator: WorkflowActivator;
  readonly live: LiveActivation;
}

/**
 * Workflow runs kept in memory between their workflow tasks, so the next task applies only the new events
 * instead of replaying the whole history (the server still sends full histories; no sticky queue is involved).
 * Least recently used runs are evicted beyond `capacity`; a capacity of 0 keeps nothing.
 */
export class WorkflowRunCache {
  private readonly runs: LRUCache<string, CachedRun> | undefined;

  constructor(readonly capacity: number) {
    this.runs = capacity > 0 ? new LRUCache({ max: capacity }) : undefined;
  }

  get size(): number {
    return this.runs?.size ?? 0;
  }

  /** Removes and returns the run: a run being worked on is not in the cache. */
  take(runId: string): CachedRun | undefined {
    const run = this.runs?.get(runId);
    this.runs?.delete(runId);
    return run;
  }

  put(runId: string, run: CachedRun): void {
    this.runs?.set(runId, run);
  }
}
