import {
  DEFAULT_LIMITS,
  type HistoryEventRow,
  LimitExceededError,
  MAX_ID_BYTES,
  type OutboxTask,
  type PersistenceLimits,
  type VisibilityRecord,
  utf8ByteLength,
} from './contract.js';

export function resolveLimits(partial?: Partial<PersistenceLimits>): PersistenceLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new RangeError(`persistence limit ${name} must be a positive integer, got ${value}`);
    }
  }
  return limits;
}

/** A workflow id of at most MAX_ID_BYTES bytes of UTF-8: what the workflow_id columns hold. */
export function checkWorkflowId(workflowId: string): void {
  const bytes = utf8ByteLength(workflowId);
  if (bytes > MAX_ID_BYTES) throw new LimitExceededError('workflowIdLength', bytes, MAX_ID_BYTES);
}

export function checkPayload(limits: PersistenceLimits, bytes: Uint8Array | null | undefined): void {
  if (bytes != null && bytes.byteLength > limits.maxPayloadBytes) {
    throw new LimitExceededError('maxPayloadBytes', bytes.byteLength, limits.maxPayloadBytes);
  }
}

/** Per-event size; returns the total bytes appended (for the history-size check). */
export function checkEvents(limits: PersistenceLimits, events: readonly HistoryEventRow[]): number {
  let total = 0;
  for (const e of events) {
    if (e.data.byteLength > limits.maxEventBytes) {
      throw new LimitExceededError('maxEventBytes', e.data.byteLength, limits.maxEventBytes);
    }
    total += e.data.byteLength;
  }
  return total;
}

export function checkHistoryLength(limits: PersistenceLimits, nextEventId: number): void {
  const count = nextEventId - 1;
  if (count > limits.maxHistoryEvents) {
    throw new LimitExceededError('maxHistoryEvents', count, limits.maxHistoryEvents);
  }
}

export function checkTasks(limits: PersistenceLimits, tasks: readonly OutboxTask[]): void {
  for (const t of tasks) checkPayload(limits, t.data);
}

export function checkVisibility(limits: PersistenceLimits, record: VisibilityRecord | undefined): void {
  if (record === undefined) return;
  checkWorkflowId(record.workflowId);
  checkPayload(limits, record.memo);
}
