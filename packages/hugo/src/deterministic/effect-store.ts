import { type Clock, systemClock } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import { isCancellation, throwIfAborted } from '../result/cancellation.js';
import { ErrorCodes, HugoError, type HugoErrorJson } from '../result/error.js';
import { type Awaitable, fail, ok, type Result } from '../result/result.js';
import { type DeterministicScope, scopedKey } from './scope.js';
import type { DeterministicRecord, DeterministicStateStore } from './store.js';

export const EffectRecordKind = 'hugo.effect';

/**
 * The persisted outcome of an effect: plain JSON with an explicit type tag (Hugo stores the .NET type name and a
 * base64 value).
 */
export interface EffectEnvelope {
  readonly isSuccess: boolean;
  /** Caller-chosen tag for the value's shape; replay with another tag is an error. */
  readonly type: string;
  readonly value?: unknown;
  readonly error?: HugoErrorJson;
  readonly recordedAt: number;
}

export interface DeterministicEffectStoreOptions {
  clock?: Clock;
  /** See `DeterministicScope`; by default the ambient workflow run. */
  scope?: DeterministicScope;
}

export interface CaptureOptions {
  /** The value's type tag, "json" by default. */
  type?: string;
}

function replayError(message: string, metadata: Record<string, unknown>): HugoError {
  return HugoError.from(message, ErrorCodes.DeterministicReplay, undefined, metadata);
}

/**
 * Records side-effect outcomes so a replay sees the same results. Hugo's `DeterministicEffectStore`.
 *
 * - A recorded effect is replayed WITHOUT calling it.
 * - Otherwise the effect runs; success and failure are both recorded (kind "hugo.effect"); a throw is recorded as
 *   `error.exception`.
 * - Cancellation is never recorded: a thrown AbortError (or an aborted signal) propagates, and a returned
 *   `error.canceled` is returned unrecorded, so the effect runs again on the next attempt.
 * - The record is written with `tryAdd`: when a concurrent capture of the same id won, its outcome is returned.
 * - The first run returns the recorded (JSON round-tripped) outcome, so it is identical to what replays see.
 * - A record of another kind or type tag → `error.deterministic.replay`.
 */
export class DeterministicEffectStore {
  private readonly store: DeterministicStateStore;
  private readonly clock: Clock;
  private readonly scope: DeterministicScope;

  constructor(store: DeterministicStateStore, options: DeterministicEffectStoreOptions = {}) {
    this.store = store;
    this.clock = options.clock ?? systemClock;
    this.scope = options.scope;
  }

  /** The store key an effect id maps to under this store's scope (and the current ambient run). */
  keyFor(effectId: string): string {
    return scopedKey(this.scope, effectId);
  }

  capture<T>(
    effectId: string,
    effect: (signal: AbortSignal | undefined) => Awaitable<Result<T>>,
    signal?: AbortSignal,
    options: CaptureOptions = {},
  ): Promise<Result<T>> {
    if (typeof effectId !== 'string' || effectId.trim() === '')
      throw new TypeError('effectId must be provided.');
    const type = options.type ?? 'json';
    const key = this.keyFor(effectId);
    return GoDiagnostics.withSpan(
      'Deterministic.effect.capture',
      async (span) => {
        throwIfAborted(signal);
        const existing = await this.store.get(key, signal);
        if (existing) {
          span.setAttribute('deterministic.replayed', true);
          return this.replay<T>(effectId, type, existing);
        }
        span.setAttribute('deterministic.replayed', false);

        let outcome: Result<T>;
        try {
          outcome = await effect(signal);
        } catch (thrown) {
          if (isCancellation(thrown, signal)) throw thrown;
          outcome = fail(HugoError.fromException(thrown));
        }
        if (!outcome.ok && outcome.error.code === ErrorCodes.Canceled) return outcome;

        const record = this.toRecord(outcome, type);
        // The first run returns what a replay will return (the JSON round trip), so both see the same value.
        if (await this.store.tryAdd(key, record, signal)) return this.replay<T>(effectId, type, record);
        const winner = await this.store.get(key, signal);
        return this.replay<T>(effectId, type, winner ?? record);
      },
      { 'deterministic.effect_id': effectId },
    );
  }

  private toRecord<T>(outcome: Result<T>, type: string): DeterministicRecord {
    const recordedAt = this.clock.now();
    const envelope: EffectEnvelope = outcome.ok
      ? {
          isSuccess: true,
          type,
          ...(outcome.value === undefined ? {} : { value: outcome.value }),
          recordedAt,
        }
      : { isSuccess: false, type, error: outcome.error.toJSON(), recordedAt };
    return { kind: EffectRecordKind, version: 0, payload: JSON.stringify(envelope), recordedAt };
  }

  private replay<T>(effectId: string, type: string, record: DeterministicRecord): Result<T> {
    if (record.kind !== EffectRecordKind) {
      return fail(
        replayError(
          `Deterministic record kind '${record.kind}' does not match expected '${EffectRecordKind}'.`,
          {
            effectId,
            kind: record.kind,
          },
        ),
      );
    }
    let envelope: EffectEnvelope;
    try {
      envelope = JSON.parse(record.payload) as EffectEnvelope;
    } catch (thrown) {
      return fail(replayError('Stored effect payload is not valid JSON.', { effectId }).withCause(thrown));
    }
    if (envelope.type !== type) {
      return fail(
        replayError(`Stored effect type '${envelope.type}' does not match requested type '${type}'.`, {
          effectId,
          storedType: envelope.type,
          requestedType: type,
        }),
      );
    }
    if (envelope.isSuccess) return ok(envelope.value as T);
    return fail(envelope.error ? HugoError.fromJSON(envelope.error) : HugoError.unspecified());
  }
}
