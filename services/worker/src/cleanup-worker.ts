import type { Clock } from '@odin/hugo';
import type { NamespaceRecord, PersistenceStore, RetentionStore } from '@odin/persistence';
import type { Logger } from '@odin/runtime';
import { BackgroundLoop } from './background-loop.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Temporal's NamespaceState DELETED. */
const DELETED_NAMESPACE_STATE = 3;

export interface CleanupWorkerOptions {
  store: Pick<PersistenceStore, 'namespaces'> & { retention: Pick<RetentionStore, 'deleteClosedExecutions'> };
  clock: Clock;
  logger: Logger;
  /** Retention of namespaces that set none (HUGO_ORCHESTRATOR_HISTORY_RETENTION_DAYS). */
  defaultRetentionDays: number;
  /** Time between sweeps; default one hour. */
  sweepIntervalMs?: number;
  /** Runs deleted per store transaction; default 100. */
  batchSize?: number;
}

export interface SweepResult {
  /** Runs deleted in this sweep, by namespace name (namespaces with none left out). */
  readonly deletedByNamespace: ReadonlyMap<string, number>;
  readonly deleted: number;
}

/**
 * The retention system worker: every sweep interval, for each namespace, deletes the closed runs whose close time
 * is older than the namespace's retention (history, execution state and visibility), a bounded batch per
 * transaction so a large backlog never holds long locks.
 */
export class CleanupWorker {
  private readonly sweepIntervalMs: number;
  private readonly batchSize: number;
  private deletedCount = 0;
  private sweepCount = 0;
  private readonly background = new BackgroundLoop((signal) => this.run(signal));

  constructor(private readonly options: CleanupWorkerOptions) {
    this.sweepIntervalMs = Math.max(1, options.sweepIntervalMs ?? 60 * 60 * 1000);
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
  }

  /** Runs deleted since this worker was created. */
  get deletedTotal(): number {
    return this.deletedCount;
  }

  /** Sweeps finished since this worker was created. */
  get sweeps(): number {
    return this.sweepCount;
  }

  /** Starts the periodic sweeps (the first one at once); stops when `signal` aborts or `stop()` is called. */
  start(signal?: AbortSignal): void {
    this.background.start(signal);
  }

  /** Stops sweeping and waits for the sweep in progress to end (it ends after its current batch). */
  async stop(): Promise<void> {
    await this.background.stop();
  }

  /** One pass over every namespace. */
  async sweepOnce(signal?: AbortSignal): Promise<SweepResult> {
    const { store, clock, logger } = this.options;
    const deletedByNamespace = new Map<string, number>();
    let deleted = 0;
    let pageToken: string | undefined;
    do {
      if (signal?.aborted) break;
      const page = await store.namespaces.listNamespaces({
        pageSize: 100,
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      for (const namespace of page.items) {
        if (signal?.aborted) break;
        const closedBefore = clock.now() - this.retentionMs(namespace);
        const n = await store.retention.deleteClosedExecutions({
          namespaceId: namespace.id,
          closedBefore,
          batchSize: this.batchSize,
          ...(signal ? { signal } : {}),
        });
        if (n > 0) {
          deletedByNamespace.set(namespace.name, n);
          deleted += n;
          logger.info(
            { namespace: namespace.name, deleted: n, closed_before: new Date(closedBefore).toISOString() },
            'retention deleted closed workflow runs',
          );
        }
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    this.deletedCount += deleted;
    this.sweepCount++;
    return { deletedByNamespace, deleted };
  }

  private retentionMs(namespace: NamespaceRecord): number {
    // A deleted namespace (OperatorService DeleteNamespace) keeps none of its closed runs.
    if (namespace.state === DELETED_NAMESPACE_STATE) return -1;
    return namespace.retentionMs > 0 ? namespace.retentionMs : this.options.defaultRetentionDays * DAY_MS;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.options;
    while (!signal.aborted) {
      try {
        await this.sweepOnce(signal);
      } catch (error) {
        // A failed sweep (database briefly away) is retried at the next interval; retention is not urgent.
        if (!signal.aborted) logger.warn({ err: error }, 'retention sweep failed');
      }
      try {
        await clock.sleep(this.sweepIntervalMs, signal);
      } catch {
        return;
      }
    }
  }
}
