import { type NamespaceRef, ServiceError } from '@odin/api';
import type { Clock } from '@odin/hugo';
import type { PersistenceStore } from '@odin/persistence';
import type { Logger } from '@odin/runtime';
import { BackgroundLoop } from '../background-loop.js';

/** Temporal's NamespaceState DELETED. */
const DELETED_NAMESPACE_STATE = 3;
/** gRPC NOT_FOUND (grpc-js is not a dependency of this package). */
const NOT_FOUND = 5;

export interface NamespaceReclaimerOptions {
  store: Pick<PersistenceStore, 'namespaces' | 'retention'>;
  clock: Clock;
  logger: Logger;
  /**
   * Deletes one run through history: a running one is terminated first (its parent and children hear of it as of
   * any termination) and deleted shortly after. NOT_FOUND when it is already gone.
   */
  deleteExecution(
    namespace: NamespaceRef,
    execution: { workflowId: string; runId: string },
    signal: AbortSignal,
  ): Promise<void>;
  /** Time between scans for deleted namespaces; default 1 s. */
  scanIntervalMs?: number;
  /** Runs handled per namespace and pass; default 100. */
  batchSize?: number;
  /**
   * How long a closed run of a deleted namespace is left before this worker deletes it, so the work of its close
   * (parent notice, parent-close policy, visibility) runs first; default 10 s.
   */
  closeGraceMs?: number;
}

/**
 * The deleted-namespace system worker, Temporal's namespace deletion workflow in Odin's form. OperatorService
 * DeleteNamespace only marks the namespace DELETED and renames it (the name is free at once, calls naming it get
 * NOT_FOUND); this worker then reclaims it: it deletes its open runs through history (which terminates them),
 * deletes its closed runs with their history and visibility, and once none is left removes the namespace row with
 * what is kept per namespace (registered search attributes, schedules, batch jobs, data keys). Everything it needs
 * is the namespace row in state DELETED, so a restart, or another worker process, goes on where it stopped.
 */
export class NamespaceReclaimer {
  private readonly scanIntervalMs: number;
  private readonly batchSize: number;
  private readonly closeGraceMs: number;
  private readonly background = new BackgroundLoop((signal) => this.run(signal));

  constructor(private readonly options: NamespaceReclaimerOptions) {
    this.scanIntervalMs = Math.max(1, options.scanIntervalMs ?? 1_000);
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 100));
    this.closeGraceMs = Math.max(0, options.closeGraceMs ?? 10_000);
  }

  start(signal?: AbortSignal): void {
    this.background.start(signal);
  }

  async stop(): Promise<void> {
    await this.background.stop();
  }

  /** One pass over every deleted namespace. Returns the namespaces removed for good in it. */
  async reclaimOnce(signal: AbortSignal = this.background.signal): Promise<string[]> {
    const { store } = this.options;
    const removed: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.namespaces.listNamespaces({
        pageSize: 100,
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      for (const namespace of page.items) {
        if (signal.aborted) return removed;
        if (namespace.state !== DELETED_NAMESPACE_STATE) continue;
        if (await this.reclaim({ id: namespace.id, name: namespace.name }, signal))
          removed.push(namespace.name);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined && !signal.aborted);
    return removed;
  }

  /** One step of one namespace's reclaim; true when the namespace itself is gone. */
  private async reclaim(namespace: NamespaceRef, signal: AbortSignal): Promise<boolean> {
    const { store, clock, logger, deleteExecution } = this.options;
    const open = await store.retention.listOpenExecutions({
      namespaceId: namespace.id,
      limit: this.batchSize,
    });
    for (const execution of open) {
      if (signal.aborted) return false;
      try {
        await deleteExecution(namespace, execution, signal);
      } catch (error) {
        if (!(error instanceof ServiceError && error.code === NOT_FOUND)) throw error;
      }
    }
    const deleted = await store.retention.deleteClosedExecutions({
      namespaceId: namespace.id,
      closedBefore: clock.now() - this.closeGraceMs,
      batchSize: this.batchSize,
      signal,
    });
    if (open.length > 0 || deleted > 0)
      logger.info(
        { namespace: namespace.name, terminated: open.length, deleted },
        'deleted namespace: runs terminated and deleted',
      );
    if (open.length > 0 || (await store.retention.countNamespaceExecutions(namespace.id)) > 0) return false;
    const gone = await store.namespaces.deleteNamespace(namespace.id);
    if (gone)
      logger.info({ namespace: namespace.name, namespace_id: namespace.id }, 'deleted namespace removed');
    return gone;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.options;
    while (!signal.aborted) {
      try {
        await this.reclaimOnce(signal);
      } catch (error) {
        // Retried at the next scan: every step is safe to repeat.
        if (!signal.aborted) logger.warn({ err: error }, 'deleted namespace reclaim failed');
      }
      try {
        await clock.sleep(this.scanIntervalMs, signal);
      } catch {
        return;
      }
    }
  }
}
