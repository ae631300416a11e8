import type { WorkflowActivator } from '../workflow/activator.js';
import type { LiveActivation } from '../workflow/task-runner.js';

export interface CachedRun {
  readonly activator: WorkflowActivator;
  readonly live: LiveActivation;
}

/**
 * Workflow runs kept in memory between their workflow tasks, so the next task applies only the new events
 * instead of replaying the whole history (the server still sends full histories; no sticky queue is involved).
 * Least recently used runs are evicted beyond `capacity`.
 */
export class WorkflowRunCache {
  private readonly runs = new Map<string, CachedRun>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.runs.size;
  }

  /** Removes and returns the run: a run being worked on is not in the cache. */
  take(runId: string): CachedRun | undefined {
    const run = this.runs.get(runId);
    this.runs.delete(runId);
    return run;
  }

  put(runId: string, run: CachedRun): void {
    if (this.capacity <= 0) return;
    this.runs.delete(runId);
    this.runs.set(runId, run);
    while (this.runs.size > this.capacity) {
      const oldest = this.runs.keys().next().value;
      if (oldest === undefined) break;
      this.runs.delete(oldest);
    }
  }
}
