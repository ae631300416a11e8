import { status } from '@grpc/grpc-js';
import { ServiceError, shardIdFor, temporal } from '@odin/api';
import type { Clock } from '@odin/hugo';
import { runKey } from './cache.js';
import { ChangeWaiters } from './long-poll.js';
import type { Mutation } from './state/history-builder.js';
import { isRunning } from './state/mutable-state.js';
import type { MutableState } from './state/mutable-state.js';
import {
  acceptedUpdateCompletedWorkflowFailure,
  acceptedUpdateIds,
  admittedEventId,
  decodeUpdateMessage,
  FAILING_TASK_ATTEMPT,
  forgetAdmittedUpdate,
  requestMessage,
  UpdateStage,
  unprocessedUpdateFailure,
  updateInfo,
  validateUpdateRequest,
  workflowCompletedError,
  workflowNotReady,
  writeUpdateAccepted,
  writeUpdateCompleted,
} from './state/updates.js';
import type { ProtocolMessage, UpdateOutcome, UpdateRequest, UpdateStageValue } from './state/updates.js';
import { scheduleWorkflowTask } from './state/workflow-task.js';

/**
 * Where an update stands in memory. `admitted`: waiting for a workflow task to carry it; `sent`: handed to a worker
 * with a task that has not completed; `accepted`: its Accepted event is in history; `completed` and `aborted` are
 * final (the update has left the registry; callers holding it read its outcome or error).
 */
export type LiveState = 'admitted' | 'sent' | 'accepted' | 'completed' | 'aborted';

/** One update in flight on a run, as its callers wait on it. */
export class LiveUpdate {
  /** Kept until the update is accepted: it goes to the worker, then into the Accepted event. */
  request: UpdateRequest | undefined;
  outcome: UpdateOutcome | undefined;
  /** Set when the update ended without an outcome: the error its callers get. */
  error: ServiceError | undefined;
  /** The error only means "ask again": the update was dropped from memory, or its run went on in a new run. */
  retry = false;
  /**
   * Admitted by a WorkflowExecutionUpdateAdmitted event (a reset's): the worker reads the request from that event,
   * so no request message carries it, and the registry takes it back from mutable state when it lost it.
   */
  inHistory = false;

  constructor(
    readonly id: string,
    /** runKey of its run. */
    readonly run: string,
    /** Admission order: requests reach the worker in the order the server admitted them. */
    readonly seq: number,
    public state: LiveState,
    request: UpdateRequest | undefined,
  ) {
    this.request = request;
  }

  get waitKey(): string {
    return `${this.run}\u0000update\u0000${this.id}`;
  }
}

/** What admission found: the outcome of an update this run already completed, or the live update to wait on. */
export type Admission =
  | { kind: 'completed'; completedEventId: number }
  /** The run closed after accepting the update and before completing it: its outcome is that failure. */
  | { kind: 'closed-accepted'; outcome: UpdateOutcome }
  | { kind: 'live'; update: LiveUpdate };

/** The stage an update reached, and its outcome once it has one (Temporal's UpdateWorkflowExecutionResponse). */
export interface UpdateStatus {
  stage: UpdateStageValue;
  outcome?: UpdateOutcome;
}

/** Returned by `wait` when the update has to be admitted again (see LiveUpdate.retry). */
export const READMIT = Symbol('readmit');

export interface UpdateLimits {
  /** Updates admitted or accepted but not completed, per run; 0 = no limit (Temporal: history.maxInFlightUpdates). */
  readonly maxInFlightUpdates: number;
  /** Distinct updates a run may receive, rejections aside; 0 = no limit (Temporal: history.maxTotalUpdates). */
  readonly maxTotalUpdates: number;
}

interface RunUpdates {
  readonly namespaceId: string;
  readonly workflowId: string;
  readonly updates: Map<string, LiveUpdate>;
}

/**
 * The updates in flight on the runs of this host, in memory (as in Temporal, where the registry lives in the
 * workflow's cached context). Admitted updates exist only here: no event is written before a worker accepts one, so
 * a rejected update leaves no trace; the exception is one a reset reapplied, whose WorkflowExecutionUpdateAdmitted
 * event mutable state remembers (`admittedUpdates`), taken in by `lookup` like an accepted one. What a worker accepted is in history and mutable state (`ms.updates`), so it
 * survives a restart or a shard move; an admitted update does not, and its caller (whose call failed with the host)
 * asks again: the SDKs retry UpdateWorkflowExecution with the same update id until the update is accepted.
 *
 * Every change to the registry made on behalf of a transition is registered with `mut.afterCommit`, so it happens
 * once the transition is committed, under the workflow lock, and never if the transition is dropped.
 */
export class UpdateRegistry {
  readonly #runs = new Map<string, RunUpdates>();
  readonly #waiters: ChangeWaiters;
  #seq = 0;
  /** Set when the host stops: no update is admitted any more (callers retry on the next owner of the shard). */
  #closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly limits: UpdateLimits,
  ) {
    this.#waiters = new ChangeWaiters(clock);
  }

  /** The run's live update with this id. */
  find(ms: MutableState, updateId: string): LiveUpdate | undefined {
    return this.#runs.get(keyOf(ms))?.updates.get(updateId);
  }

  /** The run's live updates in admission order. */
  live(ms: MutableState): LiveUpdate[] {
    const run = this.#runs.get(keyOf(ms));
    return run ? [...run.updates.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  /** True when an admitted update waits for a workflow task to carry it to a worker. */
  hasUndelivered(ms: MutableState): boolean {
    return this.live(ms).some((u) => u.state === 'admitted' && !u.inHistory);
  }

  /**
   * UpdateWorkflowExecution on a run, inside its transition: deduplicates by update id (a live update is joined, a
   * completed one answered with its outcome), refuses what Temporal refuses, and admits a new update. A run with no
   * workflow task gets a speculative one to carry it.
   */
  admit(mut: Mutation, updateId: string, request: UpdateRequest | null | undefined): Admission {
    const ms = mut.ms;
    const info = updateInfo(ms, updateId);
    if (!isRunning(ms)) {
      if (info?.completedEventId) return { kind: 'completed', completedEventId: info.completedEventId };
      if (info) return closedAccepted();
      throw workflowCompletedError();
    }
    const attempt = ms.workflowTask?.attempt ?? ms.workflowTaskAttempt;
    if (attempt >= FAILING_TASK_ATTEMPT) {
      throw workflowNotReady(
        'Unable to perform workflow execution update due to Workflow Task in failed state.',
      );
    }
    const existing = this.lookup(ms, updateId);
    if (existing) return existing;
    if (this.#closed) throw ServiceError.unavailable('The history host is stopping; retry the update.');
    this.#checkLimits(ms);
    validateUpdateRequest(updateId, request);
    const update = new LiveUpdate(updateId, keyOf(ms), ++this.#seq, 'admitted', request!);
    mut.afterCommit(() => this.#add(ms, update));
    if (!ms.workflowTask) scheduleWorkflowTask(mut, { speculative: true });
    return { kind: 'live', update };
  }

  /**
   * What the run knows of an update (PollWorkflowExecutionUpdate, deduplication): its durable outcome, or its live
   * state. An update the registry does not hold but mutable state does is taken back in from there: an accepted
   * one (the host restarted since), or one a WorkflowExecutionUpdateAdmitted event admitted (a reset reapplied it;
   * the registry never held it, or lost it). Undefined: never seen, or rejected (rejections are kept nowhere, as in
   * Temporal).
   */
  lookup(ms: MutableState, updateId: string): Admission | undefined {
    const info = updateInfo(ms, updateId);
    if (info?.completedEventId) return { kind: 'completed', completedEventId: info.completedEventId };
    const live = this.find(ms, updateId);
    if (live) return { kind: 'live', update: live };
    if (!info) {
      if (admittedEventId(ms, updateId) === undefined || !isRunning(ms)) return undefined;
      const update = new LiveUpdate(updateId, keyOf(ms), ++this.#seq, 'admitted', undefined);
      update.inHistory = true;
      this.#add(ms, update);
      return { kind: 'live', update };
    }
    if (!isRunning(ms)) return closedAccepted();
    const update = new LiveUpdate(updateId, keyOf(ms), ++this.#seq, 'accepted', undefined);
    this.#add(ms, update);
    return { kind: 'live', update };
  }

  /**
   * The request messages a starting workflow task carries: every update admitted, and every update sent with an
   * earlier attempt of the task and not answered (the worker replays from the start and must see them again).
   * Not those admitted by an event: the worker finds them in history.
   */
  deliver(mut: Mutation, startedEventId: number): ProtocolMessage[] {
    const updates = this.live(mut.ms).filter(
      (u) => (u.state === 'admitted' || u.state === 'sent') && !u.inHistory,
    );
    mut.afterCommit(() => {
      for (const u of updates) if (u.state === 'admitted') u.state = 'sent';
    });
    return updates.map((u) => requestMessage(u.id, u.request!, startedEventId));
  }

  /** The update protocol's side of one workflow task completion (see UpdateCompletion). */
  completion(mut: Mutation): UpdateCompletion {
    return new UpdateCompletion(this, mut);
  }

  /**
   * The workflow task failed in a way the workflow did not ask for (a refused completion): updates the workflow has
   * not seen are dropped and their callers ask again; those it saw fail, so that a task that keeps failing does
   * not take their callers down with it.
   */
  workflowTaskFailed(mut: Mutation): void {
    const updates = this.live(mut.ms);
    mut.afterCommit(() => {
      for (const u of updates) {
        if (u.state === 'admitted') this.#abort(u, retryError(), true);
        else if (u.state === 'sent') {
          this.#abort(
            u,
            workflowNotReady(
              'Unable to perform workflow execution update due to unexpected workflow task failure.',
            ),
            false,
          );
        }
      }
    });
  }

  /**
   * After a committed transition (called by the engine): a run that closed ends its updates. Accepted ones complete
   * with a failure (their callers were told the update is running and expect an outcome); the others end with an
   * error, one their callers retry on the new run when the run continued (continue-as-new, retry, cron).
   */
  onCommitted(mut: Mutation): void {
    if (!mut.closed) return;
    const key = keyOf(mut.ms);
    const run = this.#runs.get(key);
    if (!run) return;
    this.#runs.delete(key);
    const continuing = mut.newRun !== undefined;
    for (const u of run.updates.values()) {
      if (u.state === 'accepted') this.#finish(u, closedAccepted().outcome, 'aborted');
      else if (continuing) this.#abort(u, workflowClosingError(), true);
      else this.#abort(u, abortedByClosingError(), false);
    }
  }

  /** The shard left this host: its updates are dropped and their callers ask the shard's new owner. */
  dropShard(shardId: number, shardCount: number): void {
    for (const [key, run] of this.#runs) {
      if (shardIdFor(run.namespaceId, run.workflowId, shardCount) !== shardId) continue;
      this.#runs.delete(key);
      for (const u of run.updates.values()) this.#abort(u, retryError(), true);
    }
  }

  /** The host stops: every caller is answered (and retries elsewhere), and nothing is admitted any more. */
  close(): void {
    this.#closed = true;
    const runs = [...this.#runs.values()];
    this.#runs.clear();
    for (const run of runs) for (const u of run.updates.values()) this.#abort(u, retryError(), true);
  }

  /**
   * Waits, outside the workflow lock, until the update reaches `stage` (Temporal's WaitLifecycleStage): the
   * outcome once it has one; the stage reached when the server's long-poll bound (`softDeadline`) comes first, so
   * the caller asks again; DEADLINE_EXCEEDED when the caller's own deadline comes first. UNSPECIFIED and ADMITTED
   * answer at once. READMIT when the update was dropped and must be admitted again.
   */
  async wait(
    update: LiveUpdate,
    stage: UpdateStageValue,
    bounds: { softDeadline: number; deadline?: number | undefined; signal: AbortSignal },
  ): Promise<UpdateStatus | typeof READMIT> {
    for (;;) {
      if (update.error) {
        if (update.retry) return READMIT;
        throw update.error;
      }
      if (update.outcome)
        return {
          stage: UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
          outcome: update.outcome,
        };
      const reached =
        update.state === 'accepted'
          ? UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
          : UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
      if (stage <= UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED || reached >= stage) {
        return { stage: reached };
      }
      if (bounds.signal.aborted) throw ServiceError.canceled('The update call was cancelled by the caller.');
      const now = this.clock.now();
      const callerFirst = bounds.deadline !== undefined && bounds.deadline <= bounds.softDeadline;
      if (callerFirst && now >= bounds.deadline!)
        throw ServiceError.deadlineExceeded('context deadline exceeded');
      if (!callerFirst && now >= bounds.softDeadline) return { stage: reached };
      const until = callerFirst ? bounds.deadline! : bounds.softDeadline;
      await this.#waiters.wait(update.waitKey, until - now, bounds.signal);
    }
  }

  #checkLimits(ms: MutableState): void {
    const pendingIds = new Set(Object.keys(ms.admittedUpdates ?? {}));
    for (const u of this.live(ms)) if (u.state === 'admitted' || u.state === 'sent') pendingIds.add(u.id);
    const pending = pendingIds.size;
    const accepted = acceptedUpdateIds(ms).length;
    const { maxInFlightUpdates, maxTotalUpdates } = this.limits;
    if (maxInFlightUpdates > 0 && pending + accepted >= maxInFlightUpdates) {
      throw new ServiceError(
        status.RESOURCE_EXHAUSTED,
        `limit on number of concurrent in-flight updates has been reached (${maxInFlightUpdates})`,
        {
          typeName: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
          value: {
            cause: temporal.api.enums.v1.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
            scope: temporal.api.enums.v1.ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE,
          },
        },
      );
    }
    const total = pending + Object.keys(ms.updates ?? {}).length;
    if (maxTotalUpdates > 0 && total >= maxTotalUpdates) {
      throw ServiceError.failedPrecondition(
        `The limit on the total number of distinct updates in this workflow has been reached (${maxTotalUpdates}). ` +
          'Retries of one update must share its update id; reject updates the workflow will not process, or ' +
          'continue the workflow as new.',
      );
    }
  }

  #add(ms: MutableState, update: LiveUpdate): void {
    const key = keyOf(ms);
    let run = this.#runs.get(key);
    if (!run) {
      run = { namespaceId: ms.namespaceId, workflowId: ms.workflowId, updates: new Map() };
      this.#runs.set(key, run);
    }
    run.updates.set(update.id, update);
  }

  #remove(update: LiveUpdate): void {
    const run = this.#runs.get(update.run);
    if (run?.updates.get(update.id) !== update) return;
    run.updates.delete(update.id);
    if (run.updates.size === 0) this.#runs.delete(update.run);
  }

  /** @internal UpdateCompletion's after-commit steps. */
  accepted(ms: MutableState, update: LiveUpdate): void {
    if (update.state === 'completed' || update.state === 'aborted') return;
    update.state = 'accepted';
    update.request = undefined;
    if (this.find(ms, update.id) !== update) this.#add(ms, update);
    this.#waiters.notify(update.waitKey);
  }

  /** @internal */
  rejected(update: LiveUpdate, failure: UpdateOutcome['failure']): void {
    this.#finish(update, { failure }, 'completed');
  }

  /** @internal */
  completed(ms: MutableState, updateId: string, outcome: UpdateOutcome): void {
    const update = this.find(ms, updateId);
    if (update) this.#finish(update, outcome, 'completed');
  }

  #finish(update: LiveUpdate, outcome: UpdateOutcome, state: 'completed' | 'aborted'): void {
    if (update.state === 'completed' || update.state === 'aborted') return;
    update.state = state;
    update.outcome = outcome;
    update.request = undefined;
    this.#remove(update);
    this.#waiters.notify(update.waitKey);
  }

  #abort(update: LiveUpdate, error: ServiceError, retry: boolean): void {
    if (update.state === 'completed' || update.state === 'aborted') return;
    update.state = 'aborted';
    update.error = error;
    update.retry = retry;
    update.request = undefined;
    this.#remove(update);
    this.#waiters.notify(update.waitKey);
  }
}

/**
 * The update messages of one workflow task completion, applied in order: those a PROTOCOL_MESSAGE command places
 * among the commands (their events go there), then the rest. Protocol violations throw INVALID_ARGUMENT, which fails
 * the workflow task. Changes to durable state are written on the completion's working copy; the registry follows
 * after the commit.
 */
export class UpdateCompletion {
  /** Updates this completion rejected (a second message for one is a protocol violation). */
  readonly #rejected = new Set<string>();
  /** Updates this completion answered one way or another. */
  readonly #processed = new Set<string>();
  /** Updates brought back from the request a worker echoed (the registry had lost them). */
  readonly #resurrected = new Map<string, LiveUpdate>();

  constructor(
    private readonly registry: UpdateRegistry,
    private readonly mut: Mutation,
  ) {}

  apply(message: ProtocolMessage): void {
    const decoded = decodeUpdateMessage(message);
    const updateId = message.protocolInstanceId ?? '';
    const mut = this.mut;
    const ms = mut.ms;
    // An earlier command closed the run: nothing more is written; the close ends the update (see onCommitted).
    if (!isRunning(ms) && decoded.kind !== 'rejection') return;
    this.#processed.add(updateId);
    const info = updateInfo(ms, updateId);
    const state = info
      ? info.completedEventId
        ? 'completed'
        : 'accepted'
      : this.#rejected.has(updateId)
        ? 'completed'
        : (this.#live(updateId)?.state ?? undefined);
    switch (decoded.kind) {
      case 'acceptance': {
        const body = decoded.body;
        const update = this.#pending(updateId, state, body.acceptedRequest, 'Acceptance');
        if (!Number(body.acceptedRequestSequencingEventId ?? 0)) {
          throw invalidMessage('Acceptance', 'accepted_request_sequencing_event_id is not set');
        }
        if (!body.acceptedRequestMessageId)
          throw invalidMessage('Acceptance', 'accepted_request_message_id is not set');
        // One admitted by an event has its request there (Temporal does not repeat it in the Accepted event).
        const request = update.request ?? body.acceptedRequest ?? null;
        if (!request && admittedEventId(ms, updateId) === undefined)
          throw new Error(`update ${updateId} is accepted without its request`);
        writeUpdateAccepted(mut, updateId, request, Number(body.acceptedRequestSequencingEventId));
        mut.afterCommit(() => this.registry.accepted(ms, update));
        return;
      }
      case 'rejection': {
        const update = this.#pending(updateId, state, decoded.body.rejectedRequest, 'Rejection');
        this.#rejected.add(updateId);
        // An update admitted by an event is forgotten like any rejected one: its id may be used again.
        if (admittedEventId(ms, updateId) !== undefined) {
          forgetAdmittedUpdate(ms, updateId);
          mut.dirty = true;
        }
        const failure = decoded.body.failure ?? null;
        mut.afterCommit(() => this.registry.rejected(update, failure));
        return;
      }
      case 'response': {
        const body = decoded.body;
        if (state !== 'accepted') throw invalidTransition(updateId, 'Response', state);
        if (!body.meta) throw invalidMessage('Response', 'meta is not set');
        if (body.meta.updateId !== updateId)
          throw invalidMessage('Response', `meta.update_id != ${updateId}`);
        if (!body.outcome) throw invalidMessage('Response', 'outcome is not set');
        writeUpdateCompleted(mut, updateId, body);
        const outcome = body.outcome;
        mut.afterCommit(() => this.registry.completed(ms, updateId, outcome));
        return;
      }
    }
  }

  /**
   * After the messages: every update the task carried must have been answered. One a worker passed over (an SDK
   * that does not know updates) is rejected on its behalf, or it would be sent again and again. Not for a task
   * that only heartbeats (`force`), nor when the workflow closed (the close ends them).
   */
  finish(options: { force: boolean }): void {
    const ms = this.mut.ms;
    if (options.force || !isRunning(ms)) return;
    const unanswered = this.registry.live(ms).filter((u) => u.state === 'sent' && !this.#processed.has(u.id));
    if (unanswered.length === 0) return;
    const failure = unprocessedUpdateFailure();
    this.mut.afterCommit(() => {
      for (const u of unanswered) this.registry.rejected(u, failure);
    });
  }

  #live(updateId: string): LiveUpdate | undefined {
    return this.#resurrected.get(updateId) ?? this.registry.find(this.mut.ms, updateId);
  }

  /**
   * The admitted or sent update an acceptance or rejection answers. One the registry does not hold (lost with a
   * restart, or admitted by an event no caller waits on) is taken back from the request the worker echoes or from
   * mutable state; without either the task fails, and the worker's retry finds the update again once its caller
   * re-sent it.
   */
  #pending(
    updateId: string,
    state: LiveState | 'accepted' | 'completed' | undefined,
    echoed: UpdateRequest | null | undefined,
    what: 'Acceptance' | 'Rejection',
  ): LiveUpdate {
    if (state === 'admitted' || state === 'sent') return this.#live(updateId)!;
    if (state !== undefined) throw invalidTransition(updateId, what, state);
    // One admitted by an event is known from mutable state, its request from that event.
    const inHistory = admittedEventId(this.mut.ms, updateId) !== undefined;
    if (echoed) validateUpdateRequest(updateId, echoed);
    else if (!inHistory) {
      throw ServiceError.notFound(
        `Update ${updateId} is not known to the server any more (its request was not echoed back); its caller's retry delivers it again.`,
      );
    }
    const update = new LiveUpdate(updateId, keyOf(this.mut.ms), 0, 'admitted', echoed ?? undefined);
    update.inHistory = inHistory;
    this.#resurrected.set(updateId, update);
    return update;
  }
}

function keyOf(ms: MutableState): string {
  return runKey(ms.namespaceId, ms.workflowId, ms.runId);
}

function closedAccepted(): { kind: 'closed-accepted'; outcome: UpdateOutcome } {
  return { kind: 'closed-accepted', outcome: { failure: acceptedUpdateCompletedWorkflowFailure() } };
}

/** The registry dropped the update (shard moved, host stopping, task failure before the workflow saw it). */
function retryError(): ServiceError {
  return ServiceError.unavailable('workflow update was aborted');
}

/** The run went on in a new run before a worker accepted the update: the caller's retry reaches the new run. */
function workflowClosingError(): ServiceError {
  return new ServiceError(
    status.RESOURCE_EXHAUSTED,
    'workflow operation can not be applied because workflow is closing',
    {
      typeName: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
      value: {
        cause: temporal.api.enums.v1.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_BUSY_WORKFLOW,
        scope: temporal.api.enums.v1.ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE,
      },
    },
  );
}

const ABORTED_BY_CLOSING = 'workflow update was aborted by closing workflow';

/** The run closed before a worker accepted the update. */
function abortedByClosingError(): ServiceError {
  return ServiceError.notFound(ABORTED_BY_CLOSING);
}

/** The error of an update that ended because its run closed (not continued) before a worker accepted it. */
export function isAbortedByClosingWorkflow(error: unknown): boolean {
  return (
    error instanceof ServiceError && error.code === status.NOT_FOUND && error.message === ABORTED_BY_CLOSING
  );
}

function invalidMessage(type: 'Acceptance' | 'Rejection' | 'Response', problem: string): ServiceError {
  return ServiceError.invalidArgument(`The update ${type} message is not valid: ${problem}.`);
}

function invalidTransition(updateId: string, message: string, state: string | undefined): ServiceError {
  return ServiceError.invalidArgument(
    `Update ${updateId} cannot take a ${message} message: it is ${state ?? 'unknown to this workflow'}.`,
  );
}
