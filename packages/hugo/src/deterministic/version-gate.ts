import { type Clock, systemClock } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, ok, type Result } from '../result/result.js';
import { type DeterministicScope, scopedKey } from './scope.js';
import type { DeterministicRecord, DeterministicStateStore } from './store.js';

export const VersionRecordKind = 'hugo.version';

/** Temporal's `DefaultVersion`: no marker recorded. */
export const DefaultVersion = -1;

export interface VersionDecision {
  readonly version: number;
  /** True when this call recorded the marker. */
  readonly isNew: boolean;
  /** Epoch milliseconds when the marker was recorded. */
  readonly recordedAt: number;
}

export interface VersionGateContext {
  readonly changeId: string;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export type InitialVersionProvider = (context: VersionGateContext) => number;

export interface VersionGateOptions {
  clock?: Clock;
  scope?: DeterministicScope;
}

/**
 * Records which version of a change a workflow run took, so replays take the same branch. Hugo's `VersionGate`.
 *
 * Deliberate difference: a new marker defaults to `minVersion` (what Odin's SDK uses; Hugo defaults to
 * `maxVersion`). Pass `initialVersion` (e.g. `(c) => c.maxVersion`) to choose otherwise.
 */
export class VersionGate {
  private readonly store: DeterministicStateStore;
  private readonly clock: Clock;
  private readonly scope: DeterministicScope;

  constructor(store: DeterministicStateStore, options: VersionGateOptions = {}) {
    this.store = store;
    this.clock = options.clock ?? systemClock;
    this.scope = options.scope;
  }

  keyFor(changeId: string): string {
    return scopedKey(this.scope, changeId);
  }

  require(
    changeId: string,
    minVersion: number,
    maxVersion: number,
    initialVersion?: InitialVersionProvider,
    signal?: AbortSignal,
  ): Promise<Result<VersionDecision>> {
    if (typeof changeId !== 'string' || changeId.trim() === '')
      throw new TypeError('changeId must be provided.');
    const key = this.keyFor(changeId);
    return GoDiagnostics.withSpan(
      'Deterministic.version_gate.require',
      async () => {
        if (minVersion > maxVersion) {
          return fail(
            HugoError.validation(`Minimum supported version ${minVersion} exceeds maximum ${maxVersion}.`, {
              changeId,
              minVersion,
              maxVersion,
            }),
          );
        }
        const existing = await this.store.get(key, signal);
        if (existing) return this.decide(changeId, minVersion, maxVersion, existing);

        let version: number;
        try {
          version = initialVersion ? initialVersion({ changeId, minVersion, maxVersion }) : minVersion;
        } catch (thrown) {
          return fail(HugoError.fromException(thrown).withMetadata('changeId', changeId));
        }
        if (!Number.isInteger(version) || version < minVersion || version > maxVersion) {
          return fail(
            HugoError.from(
              `Initial version ${version} is outside the supported range ${minVersion}..${maxVersion}.`,
              ErrorCodes.VersionConflict,
              undefined,
              { changeId, initialVersion: version, minVersion, maxVersion },
            ),
          );
        }
        const recordedAt = this.clock.now();
        const record: DeterministicRecord = {
          kind: VersionRecordKind,
          version,
          payload: JSON.stringify({ version }),
          recordedAt,
        };
        if (await this.store.tryAdd(key, record, signal)) return ok({ version, isNew: true, recordedAt });
        // Lost the race: the winner's marker is the decision.
        const winner = await this.store.get(key, signal);
        if (!winner)
          return fail(HugoError.unspecified('Version marker vanished after a conflicting insert.'));
        return this.decide(changeId, minVersion, maxVersion, winner);
      },
      { 'deterministic.change_id': changeId },
    );
  }

  private decide(
    changeId: string,
    minVersion: number,
    maxVersion: number,
    record: DeterministicRecord,
  ): Result<VersionDecision> {
    if (record.kind !== VersionRecordKind) {
      return fail(
        HugoError.from(
          `Deterministic record kind '${record.kind}' does not match expected '${VersionRecordKind}'.`,
          ErrorCodes.DeterministicReplay,
          undefined,
          { changeId, kind: record.kind },
        ),
      );
    }
    let persistedVersion: number;
    try {
      persistedVersion = (JSON.parse(record.payload) as { version: number }).version;
    } catch (thrown) {
      return fail(
        HugoError.from('Stored version marker is not valid JSON.', ErrorCodes.DeterministicReplay, thrown, {
          changeId,
        }),
      );
    }
    if (!Number.isInteger(persistedVersion)) {
      return fail(
        HugoError.from('Stored version marker has no version.', ErrorCodes.DeterministicReplay, undefined, {
          changeId,
        }),
      );
    }
    if (persistedVersion < minVersion || persistedVersion > maxVersion) {
      return fail(
        HugoError.from(
          `Recorded version ${persistedVersion} falls outside supported range ${minVersion}..${maxVersion}.`,
          ErrorCodes.VersionConflict,
          undefined,
          { changeId, persistedVersion, minVersion, maxVersion },
        ),
      );
    }
    return ok({ version: persistedVersion, isNew: false, recordedAt: record.recordedAt });
  }
}
