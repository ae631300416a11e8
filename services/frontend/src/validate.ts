import { durationProblem, echo, type Int64Like, ServiceError, toNumber } from '@odin/api';
import { idLengthError, MAX_NAME_LENGTH } from '@odin/persistence';

// Request checks run before anything is read or written, so a bad request changes nothing (invariant 7).
// Messages name the field and say what it must be.

type Duration = { seconds?: Int64Like; nanos?: number | null } | null | undefined;

export function requireSet(value: string | null | undefined, field: string): string {
  if (value === null || value === undefined || value === '') {
    throw ServiceError.invalidArgument(`${field} is not set on the request.`);
  }
  return value;
}

export function maxLength(value: string | null | undefined, max: number, field: string): void {
  if (value && value.length > max) {
    throw ServiceError.invalidArgument(`${field} is ${value.length} characters long; the limit is ${max}.`);
  }
}

/**
 * Temporal's id length limit: workflow, activity, request, update and batch job ids, identities, signal, query and
 * update names, reasons. Counted in bytes of UTF-8 as Temporal counts it (Go's `len`), so 250 four-byte emoji
 * pass and 1,001 ASCII characters do not.
 */
export function maxIdBytes(value: string | null | undefined, field: string): void {
  const problem = value ? idLengthError(value, field) : undefined;
  if (problem) throw ServiceError.invalidArgument(problem);
}

export function requireNamespace(namespace: string | null | undefined): string {
  const name = requireSet(namespace, 'Namespace');
  maxLength(name, MAX_NAME_LENGTH, 'Namespace');
  return name;
}

export function requireWorkflowId(workflowId: string | null | undefined, field = 'WorkflowId'): string {
  const id = requireSet(workflowId, field);
  maxIdBytes(id, field);
  return id;
}

export function optionalRunId(runId: string | null | undefined, field = 'RunId'): void {
  if (runId && !/^[0-9a-fA-F-]{1,64}$/.test(runId)) {
    throw ServiceError.invalidArgument(`${field} "${echo(runId)}" is not a valid run id.`);
  }
}

export function requireExecution(
  execution: { workflowId?: string | null; runId?: string | null } | null | undefined,
  field = 'WorkflowExecution',
): void {
  if (!execution) throw ServiceError.invalidArgument(`${field} is not set on the request.`);
  requireWorkflowId(execution.workflowId, `${field}.WorkflowId`);
  optionalRunId(execution.runId, `${field}.RunId`);
}

export function requireTaskQueue(
  taskQueue: { name?: string | null } | null | undefined,
  field = 'TaskQueue',
): string {
  const name = requireSet(taskQueue?.name, field);
  maxLength(name, MAX_NAME_LENGTH, field);
  return name;
}

export function requireTypeName(type: { name?: string | null } | null | undefined, field: string): string {
  const name = requireSet(type?.name, field);
  maxLength(name, MAX_NAME_LENGTH, field);
  return name;
}

export function optionalIdentity(identity: string | null | undefined): void {
  maxIdBytes(identity, 'Identity');
}

export function optionalRequestId(requestId: string | null | undefined): void {
  maxIdBytes(requestId, 'RequestId');
}

/**
 * A duration that is a valid google.protobuf.Duration (nanos an integer below one second, seconds within ±10,000
 * years) and not negative, as Temporal's frontend requires of every timeout, delay and interval.
 */
export function nonNegativeDuration(duration: Duration, field: string): void {
  if (!duration) return;
  const problem = durationProblem(duration);
  if (problem) throw ServiceError.invalidArgument(`${field} is not a valid duration: ${problem}.`);
  if (toNumber(duration.seconds) < 0 || (duration.nanos ?? 0) < 0) {
    throw ServiceError.invalidArgument(`${field} must not be negative.`);
  }
}

export function requireTaskToken(token: Uint8Array | null | undefined): void {
  if (!token || token.length === 0)
    throw ServiceError.invalidArgument('TaskToken is not set on the request.');
}

export function nonNegativeInt(value: Int64Like, field: string): void {
  if (toNumber(value) < 0) throw ServiceError.invalidArgument(`${field} must not be negative.`);
}

interface RetryPolicy {
  initialInterval?: Duration;
  backoffCoefficient?: number | null;
  maximumInterval?: Duration;
  maximumAttempts?: number | null;
}

/** Temporal's retry-policy rules: unset values take defaults later, set values must make sense. */
export function retryPolicy(policy: RetryPolicy | null | undefined, field = 'RetryPolicy'): void {
  if (!policy) return;
  nonNegativeDuration(policy.initialInterval, `${field}.InitialInterval`);
  nonNegativeDuration(policy.maximumInterval, `${field}.MaximumInterval`);
  const coefficient = policy.backoffCoefficient ?? 0;
  if (coefficient !== 0 && coefficient < 1) {
    throw ServiceError.invalidArgument(`${field}.BackoffCoefficient must be 1 or larger.`);
  }
  if ((policy.maximumAttempts ?? 0) < 0) {
    throw ServiceError.invalidArgument(`${field}.MaximumAttempts must not be negative.`);
  }
  const initial = durationMs(policy.initialInterval);
  const maximum = durationMs(policy.maximumInterval);
  if (maximum > 0 && initial > 0 && maximum < initial) {
    throw ServiceError.invalidArgument(`${field}.MaximumInterval must not be less than InitialInterval.`);
  }
}

function durationMs(duration: Duration): number {
  return duration ? toNumber(duration.seconds) * 1000 + Math.floor((duration.nanos ?? 0) / 1e6) : 0;
}

/** An enum field must carry one of the values its enum defines (0 = unspecified is always allowed). */
export function enumValue(value: number | null | undefined, values: object, field: string): void {
  if (value === null || value === undefined || value === 0) return;
  if (!(Object.values(values) as unknown[]).includes(value)) {
    throw ServiceError.invalidArgument(`${field} has unknown value ${value}.`);
  }
}

export function pageSize(value: number | null | undefined, field = 'PageSize'): void {
  if ((value ?? 0) < 0) throw ServiceError.invalidArgument(`${field} must not be negative.`);
}

export function invalid(message: string): ServiceError {
  return ServiceError.invalidArgument(message);
}

export function hasDuration(duration: Duration): boolean {
  return durationMs(duration) > 0;
}
