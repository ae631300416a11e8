/** Backpressure thresholds (Hugo's `TaskQueueBackpressureOptions`). */
export interface TaskQueueBackpressureOptions {
  /** Pending count at which backpressure turns on; zero or less (the default, −1) turns the feature off. */
  readonly highWatermark?: number;
  /** Pending count at which it turns off again; when not strictly between 0 and high, `max(1, ⌊high / 2⌋)`. */
  readonly lowWatermark?: number;
  /** Minimum time between two `stateChanged` notifications; defaults to 5 s. State still flips inside it. */
  readonly cooldownMs?: number;
  /** Told about each transition that falls outside the cooldown. Errors thrown here are swallowed. */
  readonly stateChanged?: (state: TaskQueueBackpressureState) => void;
}

export interface TaskQueueBackpressureState {
  readonly isActive: boolean;
  readonly pendingCount: number;
  /** Epoch milliseconds on the queue's clock. */
  readonly observedAt: number;
}

/** Hugo's `TaskQueueOptions`; every duration is in milliseconds. */
export interface TaskQueueOptions {
  /** Pending items held at most before `enqueue` waits; default 512. */
  readonly capacity?: number;
  /** How long a lease lasts without a heartbeat; default 30 s. */
  readonly leaseDurationMs?: number;
  /** Heartbeats closer together than this are ignored; default 5 s, 0 allowed (every heartbeat extends). */
  readonly heartbeatIntervalMs?: number;
  /** How often expired leases are looked for; default 1 s. */
  readonly leaseSweepIntervalMs?: number;
  /** Delay before a failed or expired item is pending again; default 0. */
  readonly requeueDelayMs?: number;
  /** Total deliveries of one item before it is dead-lettered; default 5, at least 1. */
  readonly maxDeliveryAttempts?: number;
  /** Used as the `taskqueue.name` metric tag and in lifecycle events; default `"taskqueue"`. */
  readonly name?: string;
  readonly backpressure?: TaskQueueBackpressureOptions;
}

export interface ResolvedBackpressure {
  readonly high: number;
  readonly low: number;
  readonly cooldownMs: number;
  readonly stateChanged: ((state: TaskQueueBackpressureState) => void) | undefined;
}

export interface ResolvedTaskQueueOptions {
  readonly capacity: number;
  readonly leaseDurationMs: number;
  readonly heartbeatIntervalMs: number;
  readonly leaseSweepIntervalMs: number;
  readonly requeueDelayMs: number;
  readonly maxDeliveryAttempts: number;
  readonly name: string;
  readonly backpressure: ResolvedBackpressure | undefined;
}

export const TaskQueueDefaults = Object.freeze({
  capacity: 512,
  leaseDurationMs: 30_000,
  heartbeatIntervalMs: 5_000,
  leaseSweepIntervalMs: 1_000,
  requeueDelayMs: 0,
  maxDeliveryAttempts: 5,
  name: 'taskqueue',
  backpressureCooldownMs: 5_000,
});

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be positive, got ${value}.`);
  return value;
}

function nonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} cannot be negative, got ${value}.`);
  return value;
}

/** Applies Hugo's defaults and validation; invalid settings throw a `RangeError` naming the setting. */
export function resolveTaskQueueOptions(options: TaskQueueOptions = {}): ResolvedTaskQueueOptions {
  const capacity = options.capacity ?? TaskQueueDefaults.capacity;
  if (!Number.isInteger(capacity) || capacity <= 0)
    throw new RangeError(`capacity must be positive, got ${capacity}.`);
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? TaskQueueDefaults.maxDeliveryAttempts;
  if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 1) {
    throw new RangeError(`maxDeliveryAttempts must be at least 1, got ${maxDeliveryAttempts}.`);
  }
  const name = options.name ?? TaskQueueDefaults.name;
  if (typeof name !== 'string' || name.trim() === '')
    throw new RangeError('name must be a non-empty string.');
  return Object.freeze({
    capacity,
    leaseDurationMs: positive(
      options.leaseDurationMs ?? TaskQueueDefaults.leaseDurationMs,
      'leaseDurationMs',
    ),
    heartbeatIntervalMs: nonNegative(
      options.heartbeatIntervalMs ?? TaskQueueDefaults.heartbeatIntervalMs,
      'heartbeatIntervalMs',
    ),
    leaseSweepIntervalMs: positive(
      options.leaseSweepIntervalMs ?? TaskQueueDefaults.leaseSweepIntervalMs,
      'leaseSweepIntervalMs',
    ),
    requeueDelayMs: nonNegative(options.requeueDelayMs ?? TaskQueueDefaults.requeueDelayMs, 'requeueDelayMs'),
    maxDeliveryAttempts,
    name,
    backpressure: resolveBackpressure(options.backpressure),
  });
}

function resolveBackpressure(
  options: TaskQueueBackpressureOptions | undefined,
): ResolvedBackpressure | undefined {
  const high = options?.highWatermark ?? -1;
  if (!options || high <= 0) return undefined;
  const configuredLow = options.lowWatermark ?? 0;
  const low = configuredLow <= 0 || configuredLow >= high ? Math.max(1, Math.floor(high / 2)) : configuredLow;
  return Object.freeze({
    high,
    low,
    cooldownMs: nonNegative(
      options.cooldownMs ?? TaskQueueDefaults.backpressureCooldownMs,
      'backpressure.cooldownMs',
    ),
    stateChanged: options.stateChanged,
  });
}
