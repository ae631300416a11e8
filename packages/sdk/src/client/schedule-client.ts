// Schedules, typed like the official client's `client.schedule`: create, getHandle, list; a handle describes,
// updates, pauses, unpauses, triggers, backfills and deletes. Payloads (action arguments, memos) go through the
// client's payload converter and codecs; search attributes and headers are never codec-encoded.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { status } from '@grpc/grpc-js';
import type { temporal as proto } from '@temporalio/proto';
import { type DataCodecOptions, CodecCalls } from '../codec/codec-calls.js';
import type { Workflow } from '../common/definitions.js';
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import {
  defaultPayloadConverter,
  fromPayloadMap,
  type PayloadConverter,
  toPayloadMap,
} from '../common/payload.js';
import { toNumber } from '@odin/api/public';
import type { Connection } from './connection.js';
import { ServiceCallError } from './errors.js';
import type { CreateScheduleInput, CreateScheduleOutput, ScheduleClientInterceptor } from './interceptors.js';
import {
  actionFromProto,
  actionResultFromProto,
  actionToProto,
  backfillToProto,
  dateOf,
  memoFromProto,
  msOf,
  overlapFromProto,
  overlapToProto,
  policiesToProto,
  runningActionFromProto,
  specFromProto,
  specToProto,
  stateToProto,
  timestampOf,
} from './schedule-encoding.js';
import type {
  Backfill,
  ListScheduleOptions,
  ScheduleDescription,
  ScheduleOptions,
  ScheduleOptionsAction,
  ScheduleOptionsStartWorkflowAction,
  ScheduleOverlapPolicy,
  ScheduleSummary,
  ScheduleUpdateOptions,
} from './schedule-types.js';

export * from './schedule-types.js';

/** No schedule has this id (or it was deleted). */
export class ScheduleNotFoundError extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly scheduleId: string,
  ) {
    super(message, status.NOT_FOUND, method);
    this.name = 'ScheduleNotFoundError';
  }
}

/** `create` found a schedule with this id (the official client's name for the case). */
export class ScheduleAlreadyRunning extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly scheduleId: string,
  ) {
    super(message, status.ALREADY_EXISTS, method);
    this.name = 'ScheduleAlreadyRunning';
  }
}

export interface ScheduleClientOptions extends DataCodecOptions {
  connection: Connection;
  namespace?: string;
  identity?: string;
  payloadConverter?: PayloadConverter;
  interceptors?: readonly ScheduleClientInterceptor[];
}

/** Creates schedules, lists them and hands out handles to them. */
export class ScheduleClient {
  readonly connection: Connection;
  readonly namespace: string;
  readonly identity: string;
  readonly converter: PayloadConverter;
  /** The WorkflowService calls, with the payload codecs applied. */
  readonly calls: CodecCalls;
  private readonly interceptors: readonly ScheduleClientInterceptor[];

  constructor(options: ScheduleClientOptions) {
    this.connection = options.connection;
    this.namespace = options.namespace ?? 'default';
    this.identity = options.identity ?? `${process.pid}@${hostname()}`;
    this.converter = options.payloadConverter ?? defaultPayloadConverter;
    this.interceptors = options.interceptors ?? [];
    this.calls = new CodecCalls(options.connection, {
      ...(options.payloadCodecs ? { payloadCodecs: options.payloadCodecs } : {}),
      ...(options.encodeFailureAttributes ? { encodeFailureAttributes: true } : {}),
    });
  }

  /** Maps NOT_FOUND and ALREADY_EXISTS to the typed errors callers handle (a missing namespace stays as it is). */
  private mapError(error: unknown, scheduleId: string): unknown {
    if (!(error instanceof ServiceCallError)) return error;
    if (error.code === status.NOT_FOUND && error.details !== 'NamespaceNotFoundFailure')
      return new ScheduleNotFoundError(error.message, error.method, scheduleId);
    if (error.code === status.ALREADY_EXISTS)
      return new ScheduleAlreadyRunning(error.message, error.method, scheduleId);
    return error;
  }

  /** @internal A WorkflowService call about one schedule, its errors mapped. */
  call<M extends Parameters<CodecCalls['call']>[0]>(
    method: M,
    request: Parameters<CodecCalls['call']>[1] & object,
    scheduleId: string,
    signal?: AbortSignal,
  ) {
    return this.calls
      .call(method, request as never, { namespace: this.namespace, ...(signal ? { signal } : {}) })
      .catch((error: unknown) => Promise.reject(this.mapError(error, scheduleId)));
  }

  /** @internal The Schedule message of a definition. */
  scheduleToProto(
    scheduleId: string,
    options: ScheduleUpdateOptions,
    headers: Headers,
  ): proto.api.schedule.v1.ISchedule {
    return {
      spec: specToProto(options.spec),
      action: actionToProto(this.converter, scheduleId, options.action, headers),
      policies: policiesToProto(options.policies),
      state: stateToProto(options.state),
    };
  }

  /** Creates the schedule; `ScheduleAlreadyRunning` when one with this id exists. */
  async create<W extends Workflow = Workflow>(
    options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<W>>,
    signal?: AbortSignal,
  ): Promise<ScheduleHandle> {
    if (!options.scheduleId) throw new TypeError('A schedule needs a scheduleId');
    const create = composeInterceptors(this.interceptors, 'create', (input) =>
      this.createOnServer(input, signal),
    );
    await create({ namespace: this.namespace, headers: {}, options: options as ScheduleOptions });
    return this.getHandle(options.scheduleId);
  }

  private async createOnServer(
    input: CreateScheduleInput,
    signal?: AbortSignal,
  ): Promise<CreateScheduleOutput> {
    const { options } = input;
    const state = options.state;
    const backfill = state?.backfill ?? [];
    const response = await this.call(
      'createSchedule',
      {
        namespace: this.namespace,
        scheduleId: options.scheduleId,
        schedule: this.scheduleToProto(options.scheduleId, options, input.headers),
        initialPatch:
          state?.triggerImmediately || backfill.length > 0
            ? {
                ...(state?.triggerImmediately
                  ? { triggerImmediately: { overlapPolicy: overlapToProto('ALLOW_ALL') } }
                  : {}),
                backfillRequest: backfill.map(backfillToProto),
              }
            : null,
        identity: this.identity,
        requestId: randomUUID(),
        memo: options.memo ? { fields: toPayloadMap(this.converter, options.memo) } : null,
        searchAttributes: options.searchAttributes
          ? { indexedFields: toPayloadMap(this.converter, options.searchAttributes) }
          : null,
      },
      options.scheduleId,
      signal,
    );
    return { conflictToken: response.conflictToken?.length ? response.conflictToken : undefined };
  }

  /** A handle to the schedule with this id; nothing is asked of the server until it is used. */
  getHandle(scheduleId: string): ScheduleHandle {
    return new ScheduleHandle(this, scheduleId);
  }

  /** The schedules of the namespace (those `query` matches), fetched a page at a time as the caller iterates. */
  async *list(options: ListScheduleOptions = {}): AsyncIterable<ScheduleSummary> {
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await this.call(
        'listSchedules',
        {
          namespace: this.namespace,
          maximumPageSize: options.pageSize ?? 1000,
          nextPageToken: nextPageToken ?? null,
          query: options.query ?? '',
        },
        '',
        options.signal,
      );
      for (const entry of response.schedules ?? []) yield this.summaryOf(entry);
      nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    } while (nextPageToken);
  }

  private summaryOf(entry: proto.api.schedule.v1.IScheduleListEntry): ScheduleSummary {
    const info = entry.info ?? {};
    const memo = memoFromProto(this.converter, entry.memo?.fields);
    return {
      scheduleId: entry.scheduleId ?? '',
      ...(info.spec ? { spec: specFromProto(info.spec) } : {}),
      ...(info.workflowType?.name
        ? { action: { type: 'startWorkflow' as const, workflowType: info.workflowType.name } }
        : {}),
      state: { paused: info.paused === true, ...(info.notes ? { note: info.notes } : {}) },
      info: {
        recentActions: (info.recentActions ?? []).map(actionResultFromProto),
        nextActionTimes: (info.futureActionTimes ?? []).map((t) => dateOf(t) as Date),
      },
      ...(memo ? { memo } : {}),
      searchAttributes: fromPayloadMap(this.converter, entry.searchAttributes?.indexedFields),
    };
  }
}

/** One schedule. */
export class ScheduleHandle {
  constructor(
    readonly client: ScheduleClient,
    readonly scheduleId: string,
  ) {}

  private request() {
    return { namespace: this.client.namespace, scheduleId: this.scheduleId };
  }

  async describe(signal?: AbortSignal): Promise<ScheduleDescription> {
    const raw = await this.client.call('describeSchedule', this.request(), this.scheduleId, signal);
    const schedule = raw.schedule ?? {};
    const info = raw.info ?? {};
    const state = schedule.state ?? {};
    const converter = this.client.converter;
    const memo = memoFromProto(converter, raw.memo?.fields);
    const description: Omit<ScheduleDescription, 'raw'> = {
      scheduleId: this.scheduleId,
      spec: specFromProto(schedule.spec),
      action: actionFromProto(converter, schedule.action),
      policies: {
        overlap: overlapFromProto(schedule.policies?.overlapPolicy),
        // The server fills in its default (one year); 60 s is what the official client assumes without one.
        catchupWindow: msOf(schedule.policies?.catchupWindow) ?? 60_000,
        pauseOnFailure: schedule.policies?.pauseOnFailure === true,
      },
      state: {
        paused: state.paused === true,
        ...(state.notes ? { note: state.notes } : {}),
        ...(state.limitedActions ? { remainingActions: toNumber(state.remainingActions) } : {}),
      },
      info: {
        numActionsTaken: toNumber(info.actionCount),
        numActionsMissedCatchupWindow: toNumber(info.missedCatchupWindow),
        numActionsSkippedOverlap: toNumber(info.overlapSkipped),
        runningActions: (info.runningWorkflows ?? []).map(runningActionFromProto),
        recentActions: (info.recentActions ?? []).map(actionResultFromProto),
        nextActionTimes: (info.futureActionTimes ?? []).map((t) => dateOf(t) as Date),
        createdAt: dateOf(info.createTime) ?? new Date(0),
        lastUpdatedAt: dateOf(info.updateTime),
      },
      ...(memo ? { memo } : {}),
      searchAttributes: fromPayloadMap(converter, raw.searchAttributes?.indexedFields),
    };
    // Not enumerable: a description printed as JSON or spread into an update stays the readable shape.
    return Object.defineProperty(description, 'raw', {
      value: raw,
      enumerable: false,
    }) as ScheduleDescription;
  }

  /**
   * Replaces the definition with what `updateFn` makes of the current one. The update carries the conflict token
   * of the description `updateFn` saw, so a change made by someone else in between fails the call instead of
   * being overwritten. The workflows' headers are kept.
   */
  async update<W extends Workflow = Workflow>(
    updateFn: (previous: ScheduleDescription) => ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<W>>,
    signal?: AbortSignal,
  ): Promise<void> {
    const current = await this.describe(signal);
    const next = updateFn(current) as ScheduleUpdateOptions<ScheduleOptionsAction>;
    const headers = (current.raw.schedule?.action?.startWorkflow?.header?.fields ?? {}) as Headers;
    await this.client.call(
      'updateSchedule',
      {
        ...this.request(),
        schedule: this.client.scheduleToProto(this.scheduleId, next, headers),
        conflictToken: current.raw.conflictToken?.length ? current.raw.conflictToken : null,
        // Given: they replace the schedule's (a spread description passes the current ones on); absent: kept.
        searchAttributes: next.searchAttributes
          ? { indexedFields: toPayloadMap(this.client.converter, next.searchAttributes) }
          : null,
        identity: this.client.identity,
        requestId: randomUUID(),
      },
      this.scheduleId,
      signal,
    );
  }

  private async patch(patch: proto.api.schedule.v1.ISchedulePatch, signal?: AbortSignal): Promise<void> {
    await this.client.call(
      'patchSchedule',
      { ...this.request(), patch, identity: this.client.identity, requestId: randomUUID() },
      this.scheduleId,
      signal,
    );
  }

  async pause(note = 'Paused via @odin/sdk', signal?: AbortSignal): Promise<void> {
    await this.patch({ pause: note }, signal);
  }

  async unpause(note = 'Unpaused via @odin/sdk', signal?: AbortSignal): Promise<void> {
    await this.patch({ unpause: note }, signal);
  }

  /** Takes the action now; overlap ALLOW_ALL unless another policy is given (as the official client does). */
  async trigger(overlap: ScheduleOverlapPolicy = 'ALLOW_ALL', signal?: AbortSignal): Promise<void> {
    await this.patch({ triggerImmediately: { overlapPolicy: overlapToProto(overlap) } }, signal);
  }

  /** Takes the action for every time of the spec in each range, as if the schedule had run then. */
  async backfill(backfills: Backfill | Backfill[], signal?: AbortSignal): Promise<void> {
    const list = Array.isArray(backfills) ? backfills : [backfills];
    await this.patch({ backfillRequest: list.map(backfillToProto) }, signal);
  }

  /** The times the spec matches from `start` to `end` (ListScheduleMatchingTimes; not in the official client). */
  async matchingTimes(start: Date, end: Date, signal?: AbortSignal): Promise<Date[]> {
    const response = await this.client.call(
      'listScheduleMatchingTimes',
      { ...this.request(), startTime: timestampOf(start), endTime: timestampOf(end) },
      this.scheduleId,
      signal,
    );
    return (response.startTime ?? []).map((t) => dateOf(t) as Date);
  }

  /** Deletes the schedule; the workflows it started go on. */
  async delete(signal?: AbortSignal): Promise<void> {
    await this.client.call(
      'deleteSchedule',
      { ...this.request(), identity: this.client.identity },
      this.scheduleId,
      signal,
    );
  }
}
