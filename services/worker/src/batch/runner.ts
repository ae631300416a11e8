import { ServiceError, temporal } from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  type BatchOperationRecord,
  BatchOperationVersionConflictError,
  type PersistenceStore,
} from '@odin/persistence';
import type { Logger } from '@odin/runtime';
import type { temporal as T } from '@temporalio/proto';
import { BackgroundLoop } from '../background-loop.js';
import { jobRate, OperationPace } from './pace.js';

const State = temporal.api.enums.v1.BatchOperationState;
const StartRequest = temporal.api.workflowservice.v1.StartBatchOperationRequest;
type StartRequest = T.api.workflowservice.v1.IStartBatchOperationRequest;

/** gRPC status codes that mean "try again later", not "this execution failed" (grpc-js is not a dependency). */
const RETRYABLE = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

export interface BatchTarget {
  workflowId: string;
  runId: string;
}

/** What a batch job does to the workflows, made by the caller (the server runs them through its frontend). */
export interface BatchCalls {
  /** One page of the executions a visibility query matches; a query that is not valid throws a ServiceError. */
  list(
    namespace: string,
    query: string,
    pageToken: Uint8Array | undefined,
    signal: AbortSignal,
  ): Promise<{ executions: BatchTarget[]; nextPageToken?: Uint8Array }>;
  /** The job's operation on one execution; a ServiceError when it failed for that execution. */
  apply(namespace: string, request: StartRequest, target: BatchTarget, signal: AbortSignal): Promise<void>;
}

export interface BatchRunnerOptions {
  store: Pick<PersistenceStore, 'batchOperations' | 'namespaces'>;
  clock: Clock;
  logger: Logger;
  calls: BatchCalls;
  /** Time between two scans for running jobs; default 1 s. */
  scanIntervalMs?: number;
  /** Executions operated on between two progress writes; default 50. */
  chunkSize?: number;
  /** Most executions one query-selected job resolves; default 10,000. */
  maxTargets?: number;
  /**
   * Operations one job makes a second at most (BATCH_OPERATIONS_PER_SECOND); a job's max_operations_per_second
   * applies when lower. Default 50, Temporal's.
   */
  maxOperationsPerSecond?: number;
}

/** The worker's progress in a job's row: the executions resolved at its start and how many it went through. */
interface Progress {
  targets: [workflowId: string, runId: string][];
  next: number;
}

function decodeProgress(bytes: Uint8Array | null): Progress | undefined {
  if (bytes === null) return undefined;
  return JSON.parse(new TextDecoder().decode(bytes)) as Progress;
}

const encodeProgress = (progress: Progress) => new TextEncoder().encode(JSON.stringify(progress));

/**
 * The batch operations' system worker. A job starts RUNNING in its row; a scan takes each running job, resolves
 * its executions once (the explicit list, or the visibility query's matches at that moment: operating on them
 * changes what the query matches) and writes them to the row, then operates on them a chunk at a time, writing
 * the counters and how far it got after each chunk with a compare-and-set. A restart or another worker goes on
 * from the last write (a chunk cut short is done again: the operations are safe to repeat); a stop (the job
 * marked FAILED by StopBatchOperation) makes the next write lose its compare-and-set, and the job is left alone.
 */
export class BatchRunner {
  private readonly scanIntervalMs: number;
  private readonly chunkSize: number;
  private readonly maxTargets: number;
  private readonly maxOperationsPerSecond: number;
  private readonly background = new BackgroundLoop((signal) => this.run(signal));
  /** Passes running in this process, by namespace id and job id. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly options: BatchRunnerOptions) {
    this.scanIntervalMs = Math.max(1, options.scanIntervalMs ?? 1_000);
    this.chunkSize = Math.max(1, options.chunkSize ?? 50);
    this.maxTargets = Math.max(1, options.maxTargets ?? 10_000);
    this.maxOperationsPerSecond = Math.max(1, options.maxOperationsPerSecond ?? 50);
  }

  start(signal?: AbortSignal): void {
    this.background.start(signal);
  }

  async stop(): Promise<void> {
    await this.background.stop();
  }

  /** One scan: every running job is taken as far as it goes. Returns the number of jobs looked at. */
  async runDue(signal: AbortSignal = this.background.signal): Promise<number> {
    const { count, started } = await this.scan(signal);
    await Promise.all(started);
    return count;
  }

  /**
   * Starts a pass of every running job that has none in flight in this process, without waiting for them: a job
   * paced to a low rate takes long, and must not hold up the jobs of other namespaces.
   */
  private async scan(signal: AbortSignal): Promise<{ count: number; started: Promise<void>[] }> {
    const jobs = await this.options.store.batchOperations.listBatchOperationsInState(
      State.BATCH_OPERATION_STATE_RUNNING,
      100,
    );
    const started: Promise<void>[] = [];
    for (const { namespaceId, jobId } of jobs) {
      if (signal.aborted) break;
      const key = `${namespaceId}\u0000${jobId}`;
      if (this.inFlight.has(key)) continue;
      const pass = this.runOne(namespaceId, jobId, signal)
        .catch((error: unknown) => {
          if (!signal.aborted)
            this.options.logger.warn(
              { err: error, job_id: jobId },
              'batch operation pass failed; retried at the next scan',
            );
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pass);
      started.push(pass);
    }
    return { count: jobs.length, started };
  }

  private async runOne(namespaceId: string, jobId: string, signal: AbortSignal): Promise<void> {
    const { store, clock, calls, logger } = this.options;
    let record = await store.batchOperations.getBatchOperation(namespaceId, jobId);
    if (!record || record.state !== State.BATCH_OPERATION_STATE_RUNNING) return;
    const namespace = await store.namespaces.getNamespaceById(namespaceId);
    if (!namespace) {
      await this.write(record, { state: State.BATCH_OPERATION_STATE_FAILED, closeTime: clock.now() });
      return;
    }
    const request = StartRequest.decode(record.request);
    let progress = decodeProgress(record.progress);
    if (!progress) {
      let targets: Progress['targets'];
      try {
        targets = await this.resolve(namespace.name, request, signal);
      } catch (error) {
        if (!(error instanceof ServiceError) || RETRYABLE.has(error.code)) throw error;
        logger.warn({ err: error, job_id: jobId }, 'batch operation could not list its executions');
        await this.write(record, { state: State.BATCH_OPERATION_STATE_FAILED, closeTime: clock.now() });
        return;
      }
      progress = { targets, next: 0 };
      const next = await this.write(record, {
        totalCount: targets.length,
        progress: encodeProgress(progress),
      });
      if (!next) return;
      record = next;
    }
    const pace = new OperationPace(
      clock,
      jobRate(request.maxOperationsPerSecond, this.maxOperationsPerSecond),
    );
    while (progress.next < progress.targets.length) {
      const chunk = progress.targets.slice(progress.next, progress.next + this.chunkSize);
      let complete = 0;
      let failure = 0;
      for (const [workflowId, runId] of chunk) {
        await pace.take(signal);
        try {
          await calls.apply(namespace.name, request, { workflowId, runId }, signal);
          complete++;
        } catch (error) {
          if (signal.aborted || !(error instanceof ServiceError) || RETRYABLE.has(error.code)) throw error;
          failure++;
        }
      }
      progress = { ...progress, next: progress.next + chunk.length };
      const next = await this.write(record, {
        completeCount: record.completeCount + complete,
        failureCount: record.failureCount + failure,
        progress: encodeProgress(progress),
      });
      if (!next) return;
      record = next;
    }
    await this.write(record, { state: State.BATCH_OPERATION_STATE_COMPLETED, closeTime: clock.now() });
  }

  /** The job's executions: the explicit list, or the query's matches (at most maxTargets). */
  private async resolve(namespace: string, request: StartRequest, signal: AbortSignal) {
    const targets: Progress['targets'] = [];
    if (request.executions?.length) {
      for (const e of request.executions) targets.push([e.workflowId ?? '', e.runId ?? '']);
      return targets.slice(0, this.maxTargets);
    }
    let pageToken: Uint8Array | undefined;
    do {
      const page = await this.options.calls.list(namespace, request.visibilityQuery ?? '', pageToken, signal);
      for (const e of page.executions) targets.push([e.workflowId, e.runId]);
      pageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (pageToken && targets.length < this.maxTargets);
    return targets.slice(0, this.maxTargets);
  }

  /** A compare-and-set write; undefined when the job changed meanwhile (stopped, or another worker wrote). */
  private async write(
    record: BatchOperationRecord,
    change: Partial<Omit<BatchOperationRecord, 'version' | 'request'>>,
  ): Promise<BatchOperationRecord | undefined> {
    const { request: _request, version, ...rest } = record;
    try {
      return await this.options.store.batchOperations.updateBatchOperation({ ...rest, ...change }, version);
    } catch (error) {
      if (error instanceof BatchOperationVersionConflictError) return undefined;
      throw error;
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.options;
    while (!signal.aborted) {
      try {
        await this.scan(signal);
      } catch (error) {
        if (!signal.aborted) logger.warn({ err: error }, 'batch operation scan failed');
      }
      if (signal.aborted) break;
      try {
        await clock.sleep(this.scanIntervalMs, signal);
      } catch {
        // Stopping.
      }
    }
    // Stopped: the passes in flight end at their next operation (the signal aborts their pacing and calls).
    await Promise.all(this.inFlight.values());
  }
}
