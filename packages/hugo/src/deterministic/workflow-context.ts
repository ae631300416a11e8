import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attributes, Span } from '@opentelemetry/api';
import { type Clock, systemClock } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import type { HugoError } from '../result/error.js';

export type WorkflowCompletionStatus = 'completed' | 'failed' | 'canceled' | 'terminated';
export type WorkflowStatus = 'active' | WorkflowCompletionStatus;

/** A snapshot of a run for visibility. Hugo's `WorkflowVisibilityRecord`. Times are epoch milliseconds. */
export interface WorkflowVisibilityRecord {
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly taskQueue: string;
  readonly scheduleId: string | undefined;
  readonly scheduleGroup: string | undefined;
  readonly status: WorkflowStatus;
  readonly startedAt: number;
  readonly completedAt: number | undefined;
  readonly logicalClock: number;
  readonly replayCount: number;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface WorkflowExecutionContextOptions {
  namespace: string;
  workflowId: string;
  runId: string;
  taskQueue: string;
  scheduleId?: string;
  scheduleGroup?: string;
  metadata?: Readonly<Record<string, string>>;
  clock?: Clock;
  /** Epoch milliseconds; the clock's now by default. */
  startedAt?: number;
  logicalClock?: number;
  replayCount?: number;
}

function requireName(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new TypeError(`${name} must be a non-empty string.`);
  return value;
}

function requireCount(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer.`);
  return value;
}

const completionMetric = {
  completed: 'workflow.completed',
  failed: 'workflow.failed',
  canceled: 'workflow.canceled',
  terminated: 'workflow.terminated',
} as const;

/**
 * Ambient facts about one workflow run plus its Lamport clock and replay count. Hugo's
 * `WorkflowExecutionContext`. `complete` may be called once.
 */
export class WorkflowExecutionContext {
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly taskQueue: string;
  readonly scheduleId: string | undefined;
  readonly scheduleGroup: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly startedAt: number;

  private clockValue: number;
  private replays: number;
  private started = false;
  private status: WorkflowCompletionStatus | undefined;
  private finishedAt: number | undefined;
  private finalError: HugoError | undefined;
  private span: Span | undefined;

  constructor(options: WorkflowExecutionContextOptions) {
    this.namespace = requireName(options.namespace, 'namespace');
    this.workflowId = requireName(options.workflowId, 'workflowId');
    this.runId = requireName(options.runId, 'runId');
    this.taskQueue = requireName(options.taskQueue, 'taskQueue');
    this.scheduleId = options.scheduleId?.trim() ? options.scheduleId : undefined;
    this.scheduleGroup = options.scheduleGroup?.trim() ? options.scheduleGroup : undefined;
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.metadata ?? {})) {
      if (k.trim() === '') throw new TypeError('Metadata keys must be non-empty.');
      metadata[k] = v ?? '';
    }
    this.metadata = Object.freeze(metadata);
    this.clock = options.clock ?? systemClock;
    this.startedAt = options.startedAt ?? this.clock.now();
    this.clockValue = requireCount(options.logicalClock ?? 0, 'logicalClock');
    this.replays = requireCount(options.replayCount ?? 0, 'replayCount');
  }

  /** The key that scopes this run's deterministic records: namespace, workflow id and run id, each escaped. */
  get scopeKey(): string {
    return [this.namespace, this.workflowId, this.runId].map(encodeURIComponent).join('/');
  }

  get logicalClock(): number {
    return this.clockValue;
  }

  get replayCount(): number {
    return this.replays;
  }

  get completionStatus(): WorkflowCompletionStatus | undefined {
    return this.status;
  }

  get completedAt(): number | undefined {
    return this.finishedAt;
  }

  get completionError(): HugoError | undefined {
    return this.finalError;
  }

  /** A local event: advances the Lamport clock by one and returns it. */
  tick(): number {
    return ++this.clockValue;
  }

  /** A received event stamped `observed`: the clock becomes max(local, observed) + 1. */
  observe(observed: number): number {
    requireCount(observed, 'observed');
    this.clockValue = Math.max(this.clockValue, observed) + 1;
    return this.clockValue;
  }

  resetLogicalClock(value: number): void {
    this.clockValue = requireCount(value, 'value');
  }

  incrementReplayCount(): number {
    return ++this.replays;
  }

  tryGetMetadata(key: string): string | undefined {
    return Object.hasOwn(this.metadata, key) ? this.metadata[key] : undefined;
  }

  /** Records the start once (metric `workflow.started`, `workflow.active`, span "Hugo.Workflow"). */
  markStarted(): void {
    if (this.started) return;
    this.started = true;
    const logicalClock = this.tick();
    const tags = this.tags();
    GoDiagnostics.record('workflow.started', 1, tags);
    GoDiagnostics.record('workflow.active', 1, tags);
    if (GoDiagnostics.isConfigured) {
      this.span = GoDiagnostics.tracer.startSpan('Hugo.Workflow', {
        attributes: { ...tags, 'workflow.id': this.workflowId, 'workflow.run_id': this.runId },
        startTime: this.startedAt,
      });
      this.span.setAttribute('workflow.logical_clock', logicalClock);
    }
  }

  /**
   * Ends the run: ticks the clock, enriches the error with `workflow.*` metadata, emits the completion metrics and
   * returns the visibility record. A second call throws.
   */
  complete(
    status: WorkflowCompletionStatus,
    error?: HugoError,
    attributes?: Readonly<Record<string, string>>,
  ): WorkflowVisibilityRecord {
    if (this.status !== undefined) throw new Error('Workflow execution already completed.');
    const logicalClock = this.tick();
    const enriched = error ? this.attachError(error, logicalClock) : undefined;
    const completedAt = this.clock.now();
    this.status = status;
    this.finishedAt = completedAt;
    this.finalError = enriched;

    const tags = this.tags();
    GoDiagnostics.record(completionMetric[status], 1, tags);
    if (this.started) GoDiagnostics.record('workflow.active', -1, tags);
    GoDiagnostics.record('workflow.duration', Math.max(0, completedAt - this.startedAt), tags);
    GoDiagnostics.record('workflow.replay.count', this.replays, tags);
    GoDiagnostics.record('workflow.logical.clock', logicalClock, tags);
    if (this.span) {
      this.span.setAttribute('workflow.status', status);
      this.span.setAttribute('workflow.logical_clock', logicalClock);
      if (enriched) {
        this.span.setAttribute('error.code', enriched.code ?? '');
        this.span.setStatus({ code: 2, message: enriched.message });
      }
      this.span.end(completedAt);
      this.span = undefined;
    }
    return this.buildRecord(status, completedAt, logicalClock, attributes, enriched);
  }

  /** The run as it stands, without completing it. */
  snapshotVisibility(attributes?: Readonly<Record<string, string>>): WorkflowVisibilityRecord {
    return this.buildRecord(
      this.status ?? 'active',
      this.finishedAt,
      this.clockValue,
      attributes,
      this.finalError,
    );
  }

  /** Adds `workflow.*` facts to an error (namespace, ids, task queue, clock, replays, schedule, metadata). */
  attachError(error: HugoError, logicalClock = this.clockValue): HugoError {
    const entries: [string, unknown][] = [
      ['workflow.namespace', this.namespace],
      ['workflow.id', this.workflowId],
      ['workflow.run_id', this.runId],
      ['workflow.task_queue', this.taskQueue],
      ['workflow.logical_clock', logicalClock],
      ['workflow.replay_count', this.replays],
    ];
    if (this.scheduleId) entries.push(['workflow.schedule_id', this.scheduleId]);
    if (this.scheduleGroup) entries.push(['workflow.schedule_group', this.scheduleGroup]);
    for (const [k, v] of Object.entries(this.metadata)) entries.push([`workflow.metadata.${k}`, v]);
    return error.withMetadata(entries);
  }

  private tags(): Attributes {
    return { 'workflow.namespace': this.namespace, 'workflow.task_queue': this.taskQueue };
  }

  private buildRecord(
    status: WorkflowStatus,
    completedAt: number | undefined,
    logicalClock: number,
    attributes: Readonly<Record<string, string>> | undefined,
    error: HugoError | undefined,
  ): WorkflowVisibilityRecord {
    const merged: Record<string, string> = { ...this.metadata };
    if (error) {
      merged['error.code'] = error.code ?? '';
      merged['error.message'] = error.message;
    }
    for (const [k, v] of Object.entries(attributes ?? {})) if (k.trim() !== '') merged[k] = v ?? '';
    return Object.freeze({
      namespace: this.namespace,
      workflowId: this.workflowId,
      runId: this.runId,
      taskQueue: this.taskQueue,
      scheduleId: this.scheduleId,
      scheduleGroup: this.scheduleGroup,
      status,
      startedAt: this.startedAt,
      completedAt,
      logicalClock,
      replayCount: this.replays,
      attributes: Object.freeze(merged),
    });
  }
}

interface Ambient {
  readonly context: WorkflowExecutionContext;
  readonly signal: AbortSignal | undefined;
}

const ambient = new AsyncLocalStorage<Ambient>();

/**
 * The ambient workflow context, carried through async calls by AsyncLocalStorage. Hugo's `WorkflowExecution`.
 * Scopes are callbacks (`enter(ctx, fn)`), so they cannot be closed out of order; leaving a scope does not
 * complete the workflow.
 */
export const WorkflowExecution = Object.freeze({
  /** Runs `fn` with `context` as the current workflow (marking it started); nested calls stack. */
  enter<T>(context: WorkflowExecutionContext, fn: () => T, options: { signal?: AbortSignal } = {}): T {
    context.markStarted();
    return ambient.run({ context, signal: options.signal }, fn);
  },

  current(): WorkflowExecutionContext | undefined {
    return ambient.getStore()?.context;
  },

  get hasCurrent(): boolean {
    return ambient.getStore() !== undefined;
  },

  /** The signal given to the innermost `enter`, if any. */
  currentSignal(): AbortSignal | undefined {
    return ambient.getStore()?.signal;
  },

  requireCurrent(): WorkflowExecutionContext {
    const context = ambient.getStore()?.context;
    if (!context) throw new Error('No workflow execution context is active.');
    return context;
  },
});
