import { getHeapStatistics } from 'node:v8';
import { LRUCache } from 'lru-cache';
import type { WorkflowActivator } from '../workflow/activator.js';
import type { LiveActivation } from '../workflow/task-runner.js';

export interface CachedRun {
  readonly activator: WorkflowActivator;
  readonly live: LiveActivation;
}

export interface RunCacheOptions {
  /**
   * True when the process is short of memory: the least recently used runs are evicted (down to half the cache at
   * most per check) until it is not. By default, when the V8 heap in use passes `heapLimitRatio` of its limit.
   */
  memoryPressure?: () => boolean;
  /** The heap fraction the default memory check allows (0.8). */
  heapLimitRatio?: number;
}

/**
 * The default memory check: V8's used heap against its size limit. It runs on every cache put, so it reads V8's
 * heap statistics alone: `process.memoryUsage()` also reads the RSS from /proc and sums ArrayBuffer memory, and
 * showed up as ~10 % of a busy worker's CPU profile.
 */
export function heapPressure(ratio = 0.8): () => boolean {
  const limit = getHeapStatistics().heap_size_limit;
  return () => getHeapStatistics().used_heap_size > limit * ratio;
}

/**
 * Workflow runs kept in memory between their workflow tasks (the worker's sticky cache), so the next task applies
 * only the new events instead of replaying the whole history. Bounded by count (least recently used runs are
 * evicted beyond `capacity`; 0 keeps nothing) and by memory (runs are evicted while the process is short of it).
 * An evicted run's next task is answered by fetching its full history and replaying it.
 */
export class WorkflowRunCache {
  private readonly runs: LRUCache<string, CachedRun> | undefined;
  private readonly memoryPressure: () => boolean;
  /** Runs evicted to make room (count or memory), not runs taken out to be worked on. */
  evictions = 0;

  constructor(
    readonly capacity: number,
    options: RunCacheOptions = {},
  ) {
    this.runs =
      capacity > 0
        ? new LRUCache({
            max: capacity,
            dispose: (_run, _key, reason) => {
              if (reason === 'evict') this.evictions++;
            },
          })
        : undefined;
    this.memoryPressure = options.memoryPressure ?? heapPressure(options.heapLimitRatio);
  }

  get size(): number {
    return this.runs?.size ?? 0;
  }

  /** Whether runs are kept at all (the worker asks for sticky execution only then). */
  get enabled(): boolean {
    return this.runs !== undefined;
  }

  /** Removes and returns the run: a run being worked on is not in the cache. */
  take(runId: string): CachedRun | undefined {
    const run = this.runs?.get(runId);
    this.runs?.delete(runId);
    return run;
  }

  put(runId: string, run: CachedRun): void {
    if (!this.runs) return;
    this.relieveMemoryPressure();
    this.runs.set(runId, run);
  }

  private relieveMemoryPressure(): void {
    const runs = this.runs;
    if (!runs || runs.size === 0 || !this.memoryPressure()) return;
    const floor = Math.floor(runs.size / 2);
    while (runs.size > floor && this.memoryPressure()) {
      runs.pop();
      this.evictions++;
    }
  }
}
