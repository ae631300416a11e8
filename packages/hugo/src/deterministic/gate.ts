import { GoDiagnostics } from '../diagnostics.js';
import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { type Awaitable, fail, type Result } from '../result/result.js';
import type { CaptureOptions, DeterministicEffectStore } from './effect-store.js';
import type { InitialVersionProvider, VersionDecision, VersionGate } from './version-gate.js';

/** "{changeId}::v{version}" or "{changeId}::v{version}::{step}". */
export function deterministicEffectId(changeId: string, version: number, step?: string): string {
  const base = `${changeId}::v${version}`;
  return step?.trim() ? `${base}::${step.trim()}` : base;
}

export interface GateExecuteOptions {
  initialVersion?: InitialVersionProvider;
  signal?: AbortSignal;
  /** Type tag of the captured branch outcome. */
  type?: string;
}

type Branch<T> = (
  context: DeterministicWorkflowContext,
  signal: AbortSignal | undefined,
) => Awaitable<Result<T>>;

/** What a workflow branch sees: the decision and a capture scoped to "{changeId}::v{n}::{stepId}". */
export class DeterministicWorkflowContext {
  constructor(
    private readonly effects: DeterministicEffectStore,
    readonly changeId: string,
    readonly decision: VersionDecision,
  ) {}

  get version(): number {
    return this.decision.version;
  }

  get isNew(): boolean {
    return this.decision.isNew;
  }

  get recordedAt(): number {
    return this.decision.recordedAt;
  }

  createEffectId(stepId: string): string {
    if (typeof stepId !== 'string' || stepId.trim() === '')
      throw new TypeError('Step identifier must be provided.');
    return deterministicEffectId(this.changeId, this.version, stepId);
  }

  capture<T>(
    stepId: string,
    effect: (signal: AbortSignal | undefined) => Awaitable<Result<T>>,
    signal?: AbortSignal,
    options?: CaptureOptions,
  ): Promise<Result<T>> {
    return this.effects.capture(this.createEffectId(stepId), effect, signal, options);
  }
}

/**
 * A version gate plus effect capture: picks a branch by the recorded version and records its outcome under
 * "{changeId}::v{version}" so a replay returns it without running the branch. Hugo's `DeterministicGate`.
 */
export class DeterministicGate {
  constructor(
    readonly versions: VersionGate,
    readonly effects: DeterministicEffectStore,
  ) {}

  /** Runs `upgraded` when the version is `maxVersion` (or above), else `legacy`. */
  execute<T>(
    changeId: string,
    minVersion: number,
    maxVersion: number,
    upgraded: (signal: AbortSignal | undefined) => Awaitable<Result<T>>,
    legacy: (signal: AbortSignal | undefined) => Awaitable<Result<T>>,
    options: GateExecuteOptions = {},
  ): Promise<Result<T>> {
    return this.executeWith(
      changeId,
      minVersion,
      maxVersion,
      (decision, signal) => (decision.version >= maxVersion ? upgraded(signal) : legacy(signal)),
      options,
    );
  }

  /** Runs `onExecute` for the decided version, captured deterministically. */
  executeWith<T>(
    changeId: string,
    minVersion: number,
    maxVersion: number,
    onExecute: (decision: VersionDecision, signal: AbortSignal | undefined) => Awaitable<Result<T>>,
    options: GateExecuteOptions = {},
  ): Promise<Result<T>> {
    return GoDiagnostics.withSpan(
      'Deterministic.workflow.execute',
      async () => {
        const decided = await this.versions.require(
          changeId,
          minVersion,
          maxVersion,
          options.initialVersion,
          options.signal,
        );
        if (!decided.ok) return decided;
        const decision = decided.value;
        return this.effects.capture(
          deterministicEffectId(changeId, decision.version),
          (signal) => onExecute(decision, signal),
          options.signal,
          options.type === undefined ? {} : { type: options.type },
        );
      },
      { 'deterministic.change_id': changeId },
    );
  }

  /** A builder of version branches for one change. Versions must be ≥ 1 (Hugo's rule). */
  workflow<T>(
    changeId: string,
    minVersion: number,
    maxVersion: number,
    initialVersion?: InitialVersionProvider,
  ): DeterministicWorkflowBuilder<T> {
    return new DeterministicWorkflowBuilder<T>(this, changeId, minVersion, maxVersion, initialVersion);
  }
}

/** Hugo's `DeterministicWorkflowBuilder<T>`: branches are matched in registration order, then the fallback. */
export class DeterministicWorkflowBuilder<T> {
  private readonly branches: { matches: (d: VersionDecision) => boolean; run: Branch<T> }[] = [];
  private fallback: Branch<T> | undefined;
  private readonly changeId: string;

  constructor(
    private readonly gate: DeterministicGate,
    changeId: string,
    private readonly minVersion: number,
    private readonly maxVersion: number,
    private readonly initialVersion?: InitialVersionProvider,
  ) {
    if (typeof changeId !== 'string' || changeId.trim() === '')
      throw new TypeError('changeId must be provided.');
    if (!Number.isInteger(minVersion) || minVersion <= 0) {
      throw new RangeError('Minimum version must be greater than zero.');
    }
    if (!Number.isInteger(maxVersion) || maxVersion < minVersion) {
      throw new RangeError('Maximum version must be greater than or equal to the minimum version.');
    }
    this.changeId = changeId.trim();
  }

  forVersion(version: number, run: Branch<T>): this {
    if (version < this.minVersion || version > this.maxVersion) {
      throw new RangeError('Version must be within the configured bounds.');
    }
    return this.for((d) => d.version === version, run);
  }

  forRange(from: number, to: number, run: Branch<T>): this {
    if (from < this.minVersion) throw new RangeError('Range minimum must be within the configured bounds.');
    if (to > this.maxVersion) throw new RangeError('Range maximum must be within the configured bounds.');
    if (to < from) throw new RangeError('Range maximum must be greater than or equal to the range minimum.');
    return this.for((d) => d.version >= from && d.version <= to, run);
  }

  for(matches: (decision: VersionDecision) => boolean, run: Branch<T>): this {
    this.branches.push({ matches, run });
    return this;
  }

  withFallback(run: Branch<T>): this {
    this.fallback = run;
    return this;
  }

  /**
   * Decides the version and runs the matching branch, captured as "{changeId}::v{n}". No match →
   * `error.version.conflict`; a branch throw → `error.exception`; a branch cancellation → `error.canceled`
   * (not recorded, so the branch runs again on the next attempt).
   */
  execute(signal?: AbortSignal, options: { type?: string } = {}): Promise<Result<T>> {
    return this.gate.executeWith<T>(
      this.changeId,
      this.minVersion,
      this.maxVersion,
      async (decision, s) => {
        const run = this.branches.find((b) => b.matches(decision))?.run ?? this.fallback;
        if (!run) {
          return fail(
            HugoError.from(
              `No workflow branch was registered for version ${decision.version}.`,
              ErrorCodes.VersionConflict,
              undefined,
              {
                changeId: this.changeId,
                version: decision.version,
                minVersion: this.minVersion,
                maxVersion: this.maxVersion,
              },
            ),
          );
        }
        const context = new DeterministicWorkflowContext(this.gate.effects, this.changeId, decision);
        try {
          return await run(context, s);
        } catch (thrown) {
          if (isCancellation(thrown, s)) return fail(HugoError.canceled(undefined, s));
          return fail(HugoError.fromException(thrown));
        }
      },
      {
        ...(this.initialVersion ? { initialVersion: this.initialVersion } : {}),
        ...(signal ? { signal } : {}),
        ...(options.type === undefined ? {} : { type: options.type }),
      },
    );
  }
}
