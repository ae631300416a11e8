import { HugoError } from '../result/error.js';
import { isCancellation, throwIfAborted } from '../result/cancellation.js';
import type { Awaitable } from '../result/result.js';

/** An undo action registered by a step; it receives the signal compensation runs under. */
export type CompensationAction = (signal: AbortSignal | undefined) => Awaitable<void>;

/**
 * The compensations one step (or one pipeline) has registered, in registration order. Hugo's `CompensationScope`.
 * Policies run them in reverse (LIFO) unless they choose otherwise.
 */
export class CompensationScope {
  private actions: CompensationAction[] = [];

  get hasActions(): boolean {
    return this.actions.length > 0;
  }

  get size(): number {
    return this.actions.length;
  }

  register(action: CompensationAction): void;
  register<S>(state: S, action: (state: S, signal: AbortSignal | undefined) => Awaitable<void>): void;
  register<S>(
    stateOrAction: S | CompensationAction,
    action?: (state: S, signal: AbortSignal | undefined) => Awaitable<void>,
  ): void {
    if (action) {
      const state = stateOrAction as S;
      this.actions.push((signal) => action(state, signal));
      return;
    }
    if (typeof stateOrAction !== 'function') throw new TypeError('A compensation must be a function.');
    this.actions.push(stateOrAction as CompensationAction);
  }

  /** Takes every action out of the scope (registration order). */
  capture(): CompensationAction[] {
    const taken = this.actions;
    this.actions = [];
    return taken;
  }

  /** Moves `other`'s actions after this scope's own, so they are undone first. */
  absorb(other: CompensationScope): void {
    if (other === this) return;
    this.actions.push(...other.capture());
  }

  clear(): void {
    this.actions = [];
  }
}

/** What a compensation policy receives: the actions (registration order) and the signal to honour. */
export interface CompensationContext {
  readonly actions: readonly CompensationAction[];
  readonly signal: AbortSignal | undefined;
  /** Runs the actions last-registered first, stopping at the first one that throws. */
  runSequentialReverse(): Promise<void>;
  /** Starts every action at once and waits for all; throws the first failure (an aggregate when several fail). */
  runParallel(): Promise<void>;
}

function createContext(
  actions: readonly CompensationAction[],
  signal: AbortSignal | undefined,
): CompensationContext {
  return {
    actions,
    signal,
    async runSequentialReverse() {
      for (let i = actions.length - 1; i >= 0; i--) {
        throwIfAborted(signal);
        await actions[i]!(signal);
      }
    },
    async runParallel() {
      throwIfAborted(signal);
      const settled = await Promise.allSettled([...actions].reverse().map(async (a) => a(signal)));
      const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failures.length === 1) throw failures[0]!.reason;
      if (failures.length > 1) {
        throw new CompensationFailure(
          HugoError.aggregate(
            'One or more compensations failed.',
            ...failures.map((f) => toError(f.reason, signal)),
          ),
        );
      }
    },
  };
}

/** Thrown by `runParallel` when several compensations failed; carries their aggregate. */
export class CompensationFailure extends Error {
  readonly error: HugoError;
  constructor(error: HugoError) {
    super(error.toString());
    this.name = 'CompensationFailure';
    this.error = error;
  }
}

function toError(thrown: unknown, signal: AbortSignal | undefined): HugoError {
  if (thrown instanceof CompensationFailure) return thrown.error;
  if (isCancellation(thrown, signal)) return HugoError.canceled(undefined, signal);
  return HugoError.fromException(thrown);
}

/** How registered compensations are executed. Hugo's `ResultCompensationPolicy`. */
export class CompensationPolicy {
  /** Drops compensations without running them (Hugo's default; not Odin's). */
  static readonly none = new CompensationPolicy('none', async () => {});
  /** Last registered, first undone; stops at the first failure. Odin's default. */
  static readonly sequentialReverse = new CompensationPolicy('sequentialReverse', (ctx) =>
    ctx.runSequentialReverse(),
  );
  /** All at once. */
  static readonly parallel = new CompensationPolicy('parallel', (ctx) => ctx.runParallel());

  static custom(
    execute: (context: CompensationContext) => Awaitable<void>,
    name = 'custom',
  ): CompensationPolicy {
    return new CompensationPolicy(name, execute);
  }

  private constructor(
    readonly name: string,
    private readonly executor: (context: CompensationContext) => Awaitable<void>,
  ) {}

  async execute(actions: readonly CompensationAction[], signal: AbortSignal | undefined): Promise<void> {
    await this.executor(createContext(actions, signal));
  }
}

/**
 * Runs (and empties) `scope` under `policy`; returns the error a failing compensation produced, if any.
 * Never throws.
 */
export async function runCompensation(
  policy: CompensationPolicy,
  scope: CompensationScope,
  signal: AbortSignal | undefined,
): Promise<HugoError | undefined> {
  if (!scope.hasActions) return undefined;
  const actions = scope.capture();
  try {
    await policy.execute(actions, signal);
    return undefined;
  } catch (thrown) {
    return toError(thrown, signal);
  }
}
