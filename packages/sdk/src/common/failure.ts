import { temporal } from '@odin/api/public';
import { HugoError } from '@odin/hugo';
import { fromPayloads, type PayloadConverter, toPayloads } from './payload.js';
import type { IFailure } from './proto-types.js';

const TimeoutType = temporal.api.enums.v1.TimeoutType;
const RetryState = temporal.api.enums.v1.RetryState;
export type TimeoutTypeName =
  | 'START_TO_CLOSE'
  | 'SCHEDULE_TO_START'
  | 'SCHEDULE_TO_CLOSE'
  | 'HEARTBEAT'
  | 'UNSPECIFIED';

/** Source tag written into failures this SDK creates. */
export const FAILURE_SOURCE = 'OdinTypeScriptSDK';

/** Base of every failure that travels through Temporal's Failure message. */
export class TemporalFailure extends Error {
  /** The proto this error was read from, when it came off the wire. */
  failure?: IFailure;
  constructor(message?: string, cause?: Error) {
    super(message ?? '', cause === undefined ? undefined : { cause });
    this.name = 'TemporalFailure';
  }
}

export interface ApplicationFailureOptions {
  message?: string;
  type?: string;
  nonRetryable?: boolean;
  details?: unknown[];
  cause?: Error;
}

/** A failure raised by workflow or activity code on purpose; fails the workflow (not the task) when thrown there. */
export class ApplicationFailure extends TemporalFailure {
  readonly type: string | undefined;
  readonly nonRetryable: boolean;
  readonly details: unknown[];
  constructor(options: ApplicationFailureOptions = {}) {
    super(options.message, options.cause);
    this.name = 'ApplicationFailure';
    this.type = options.type;
    this.nonRetryable = options.nonRetryable ?? false;
    this.details = options.details ?? [];
  }
  static create(options: ApplicationFailureOptions): ApplicationFailure {
    return new ApplicationFailure(options);
  }
  static retryable(message: string, type?: string, ...details: unknown[]): ApplicationFailure {
    return new ApplicationFailure({ message, type: type ?? 'Error', details });
  }
  static nonRetryable(message: string, type?: string, ...details: unknown[]): ApplicationFailure {
    return new ApplicationFailure({ message, type: type ?? 'Error', nonRetryable: true, details });
  }
  /** A Hugo error as an application failure: its code is the type, its metadata the single detail. */
  static fromHugoError(error: HugoError, nonRetryable = false): ApplicationFailure {
    return new ApplicationFailure({
      message: error.message,
      type: error.code ?? 'error.unspecified',
      nonRetryable,
      details: [error.toJSON()],
    });
  }
}

/** The operation was cancelled (workflow cancel request, a cancelled scope, or an activity cancelled). */
export class CancelledFailure extends TemporalFailure {
  constructor(
    message = 'Cancelled',
    readonly details: unknown[] = [],
    cause?: Error,
  ) {
    super(message, cause);
    this.name = 'CancelledFailure';
  }
}

export class TimeoutFailure extends TemporalFailure {
  constructor(
    message: string,
    readonly timeoutType: TimeoutTypeName,
    readonly lastHeartbeatDetails: unknown = undefined,
  ) {
    super(message);
    this.name = 'TimeoutFailure';
  }
}

export class TerminatedFailure extends TemporalFailure {
  constructor(message = 'Terminated', cause?: Error) {
    super(message, cause);
    this.name = 'TerminatedFailure';
  }
}

export class ServerFailure extends TemporalFailure {
  constructor(
    message: string,
    readonly nonRetryable: boolean,
    cause?: Error,
  ) {
    super(message, cause);
    this.name = 'ServerFailure';
  }
}

/** An activity failed; `cause` says why (ApplicationFailure, TimeoutFailure, CancelledFailure ...). */
export class ActivityFailure extends TemporalFailure {
  constructor(
    message: string,
    readonly activityType: string,
    readonly activityId: string,
    readonly retryState: string,
    cause?: Error,
  ) {
    super(message, cause);
    this.name = 'ActivityFailure';
  }
}

/** A child workflow failed; `cause` says why. */
export class ChildWorkflowFailure extends TemporalFailure {
  constructor(
    message: string,
    readonly workflowType: string,
    readonly workflowId: string,
    readonly runId: string,
    readonly retryState: string,
    cause?: Error,
  ) {
    super(message, cause);
    this.name = 'ChildWorkflowFailure';
  }
}

function timeoutTypeName(value: number | null | undefined): TimeoutTypeName {
  switch (value) {
    case TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE:
      return 'START_TO_CLOSE';
    case TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
      return 'SCHEDULE_TO_START';
    case TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
      return 'SCHEDULE_TO_CLOSE';
    case TimeoutType.TIMEOUT_TYPE_HEARTBEAT:
      return 'HEARTBEAT';
    default:
      return 'UNSPECIFIED';
  }
}

function timeoutTypeValue(name: TimeoutTypeName): number {
  return TimeoutType[`TIMEOUT_TYPE_${name}` as keyof typeof TimeoutType] as number;
}

function retryStateName(value: number | null | undefined): string {
  const name = RetryState[value ?? 0] as string | undefined;
  return name?.replace(/^RETRY_STATE_/, '') ?? 'UNSPECIFIED';
}

function retryStateValue(name: string): number {
  return (RetryState[`RETRY_STATE_${name}` as keyof typeof RetryState] as number | undefined) ?? 0;
}

/** Converts any thrown value into Temporal's Failure message. */
export function errorToFailure(error: unknown, converter: PayloadConverter): IFailure {
  if (error instanceof TemporalFailure && error.failure) return error.failure;
  if (error instanceof HugoError) return errorToFailure(ApplicationFailure.fromHugoError(error), converter);
  if (!(error instanceof Error)) {
    return {
      message: String(error),
      source: FAILURE_SOURCE,
      applicationFailureInfo: { type: typeof error, nonRetryable: false },
    };
  }
  const cause = error.cause instanceof Error ? errorToFailure(error.cause, converter) : undefined;
  const base: IFailure = {
    message: error.message,
    source: FAILURE_SOURCE,
    stackTrace: error.stack ?? '',
    ...(cause ? { cause } : {}),
  };
  if (error instanceof ApplicationFailure) {
    return {
      ...base,
      applicationFailureInfo: {
        type: error.type ?? error.name,
        nonRetryable: error.nonRetryable,
        details: toPayloads(converter, error.details) ?? null,
      },
    };
  }
  if (error instanceof CancelledFailure) {
    return { ...base, canceledFailureInfo: { details: toPayloads(converter, error.details) ?? null } };
  }
  if (error instanceof TimeoutFailure) {
    return {
      ...base,
      timeoutFailureInfo: {
        timeoutType: timeoutTypeValue(error.timeoutType),
        lastHeartbeatDetails: toPayloads(converter, [error.lastHeartbeatDetails]) ?? null,
      },
    };
  }
  if (error instanceof TerminatedFailure) return { ...base, terminatedFailureInfo: {} };
  if (error instanceof ServerFailure)
    return { ...base, serverFailureInfo: { nonRetryable: error.nonRetryable } };
  if (error instanceof ActivityFailure) {
    return {
      ...base,
      activityFailureInfo: {
        activityType: { name: error.activityType },
        activityId: error.activityId,
        retryState: retryStateValue(error.retryState),
      },
    };
  }
  if (error instanceof ChildWorkflowFailure) {
    return {
      ...base,
      childWorkflowExecutionFailureInfo: {
        workflowType: { name: error.workflowType },
        workflowExecution: { workflowId: error.workflowId, runId: error.runId },
        retryState: retryStateValue(error.retryState),
      },
    };
  }
  return { ...base, applicationFailureInfo: { type: error.name, nonRetryable: false } };
}

/** Converts Temporal's Failure message into the matching error class (the reverse of errorToFailure). */
export function failureToError(failure: IFailure, converter: PayloadConverter): TemporalFailure {
  const cause = failure.cause ? failureToError(failure.cause, converter) : undefined;
  const message = failure.message ?? '';
  let error: TemporalFailure;
  if (failure.applicationFailureInfo) {
    const info = failure.applicationFailureInfo;
    error = new ApplicationFailure({
      message,
      type: info.type ?? undefined,
      nonRetryable: info.nonRetryable ?? false,
      details: fromPayloads(converter, info.details),
      ...(cause ? { cause } : {}),
    });
  } else if (failure.canceledFailureInfo) {
    error = new CancelledFailure(
      message,
      fromPayloads(converter, failure.canceledFailureInfo.details),
      cause,
    );
  } else if (failure.timeoutFailureInfo) {
    const info = failure.timeoutFailureInfo;
    error = new TimeoutFailure(
      message,
      timeoutTypeName(info.timeoutType),
      fromPayloads(converter, info.lastHeartbeatDetails)[0],
    );
  } else if (failure.terminatedFailureInfo) {
    error = new TerminatedFailure(message, cause);
  } else if (failure.serverFailureInfo) {
    error = new ServerFailure(message, failure.serverFailureInfo.nonRetryable ?? false, cause);
  } else if (failure.activityFailureInfo) {
    const info = failure.activityFailureInfo;
    error = new ActivityFailure(
      message,
      info.activityType?.name ?? '',
      info.activityId ?? '',
      retryStateName(info.retryState),
      cause,
    );
  } else if (failure.childWorkflowExecutionFailureInfo) {
    const info = failure.childWorkflowExecutionFailureInfo;
    error = new ChildWorkflowFailure(
      message,
      info.workflowType?.name ?? '',
      info.workflowExecution?.workflowId ?? '',
      info.workflowExecution?.runId ?? '',
      retryStateName(info.retryState),
      cause,
    );
  } else {
    error = new TemporalFailure(message, cause);
  }
  error.failure = failure;
  if (failure.stackTrace) error.stack = failure.stackTrace;
  return error;
}

/** The failure as a HugoError (for callers that asked for `Result`s): code from the failure kind or type. */
export function failureToHugoError(error: TemporalFailure): HugoError {
  const code = error instanceof ApplicationFailure && error.type ? error.type : `temporal.${error.name}`;
  return HugoError.from(error.message, code, error);
}

export { retryStateName, timeoutTypeName };
