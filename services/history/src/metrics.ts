/**
 * The metrics history records, as the runtime's OdinMetrics (prom-client) exposes them. Declared structurally so
 * tests and embedders may omit them; every call goes through `HistoryMetricsRecorder`, which does nothing without.
 */
export interface HistoryMetrics {
  readonly workflowStartedTotal: { inc(labels: { namespace: string; workflow_type: string }): void };
  readonly workflowClosedTotal: {
    inc(labels: { namespace: string; workflow_type: string; status: string }): void;
  };
  readonly workflowDurationSeconds: {
    observe(labels: { namespace: string; workflow_type: string; status: string }, value: number): void;
  };
  readonly workflowReplayCount: { inc(labels: { namespace: string; workflow_type: string }): void };
  readonly historyShardOwnership: { set(labels: { shard_id: string; host: string }, value: number): void };
  readonly persistenceLatencySeconds: { observe(labels: { operation: string }, value: number): void };
  readonly persistenceCommitTransitions: { observe(value: number): void };
  readonly persistenceCommitQueueSeconds: { observe(value: number): void };
  readonly persistenceErrorsTotal: { inc(labels: { operation: string; code: string }): void };
}

const STATUS_NAMES: Record<number, string> = {
  1: 'running',
  2: 'completed',
  3: 'failed',
  4: 'canceled',
  5: 'terminated',
  6: 'continued_as_new',
  7: 'timed_out',
};

export class HistoryMetricsRecorder {
  constructor(
    private readonly metrics: HistoryMetrics | undefined,
    private readonly namespaceName: (namespaceId: string) => string,
  ) {}

  started(namespaceId: string, workflowType: string): void {
    this.metrics?.workflowStartedTotal.inc({
      namespace: this.namespaceName(namespaceId),
      workflow_type: workflowType,
    });
  }

  closed(namespaceId: string, workflowType: string, status: number, durationMs: number): void {
    if (!this.metrics) return;
    const labels = {
      namespace: this.namespaceName(namespaceId),
      workflow_type: workflowType,
      status: STATUS_NAMES[status] ?? String(status),
    };
    this.metrics.workflowClosedTotal.inc(labels);
    this.metrics.workflowDurationSeconds.observe(labels, Math.max(0, durationMs) / 1000);
  }

  replayed(namespaceId: string, workflowType: string): void {
    this.metrics?.workflowReplayCount.inc({
      namespace: this.namespaceName(namespaceId),
      workflow_type: workflowType,
    });
  }

  shardOwned(shardId: number, host: string, owned: boolean): void {
    this.metrics?.historyShardOwnership.set({ shard_id: String(shardId), host }, owned ? 1 : 0);
  }

  /** A group commit starts: the transitions it carries, and how long each of its submissions waited for it. */
  groupCommitStarted(transitions: number, waitedMs: readonly number[]): void {
    if (!this.metrics) return;
    this.metrics.persistenceCommitTransitions.observe(transitions);
    for (const ms of waitedMs) this.metrics.persistenceCommitQueueSeconds.observe(Math.max(0, ms) / 1000);
  }

  commit(durationMs: number, errorCode?: string): void {
    if (!this.metrics) return;
    this.metrics.persistenceLatencySeconds.observe({ operation: 'commit_shard_batch' }, durationMs / 1000);
    if (errorCode)
      this.metrics.persistenceErrorsTotal.inc({ operation: 'commit_shard_batch', code: errorCode });
  }
}
