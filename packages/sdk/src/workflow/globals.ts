import { promisify } from 'node:util';
import { activatorStorage } from './activator.js';
import { IllegalStateError } from './errors.js';

/**
 * Makes the JavaScript globals deterministic for workflow code, and only for it. The replacements look up the
 * running workflow (AsyncLocalStorage, which follows promise continuations): inside a workflow `Date` and
 * `Date.now()` give the workflow task's time, `Math.random()` the run's seeded sequence, `setTimeout` a durable
 * workflow timer, `setImmediate` a microtask; everywhere else they behave exactly like the originals.
 * Installed once per process and left in place (code that captured a global before installation keeps the
 * original, which is why the worker installs them before it loads workflow modules).
 */
const INSTALLED = Symbol.for('odin.sdk.workflow.globals');

interface Originals {
  Date: DateConstructor;
  random: () => number;
  setTimeout: typeof globalThis.setTimeout;
  clearTimeout: typeof globalThis.clearTimeout;
  setInterval: typeof globalThis.setInterval;
  setImmediate: typeof globalThis.setImmediate;
  randomUUID: (() => string) | undefined;
}

const slots = globalThis as unknown as Record<symbol, Originals | undefined>;

/** A setTimeout handle inside a workflow: a durable timer id. */
class WorkflowTimeout {
  cancelled = false;
  /** Undefined for a zero delay, which runs as a microtask without a timer. */
  constructor(readonly timerId: string | undefined) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return Number(this.timerId ?? 0);
  }
}

export function installDeterministicGlobals(): void {
  if (slots[INSTALLED]) return;
  const originals: Originals = {
    Date: globalThis.Date,
    random: Math.random,
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    setImmediate: globalThis.setImmediate,
    randomUUID: globalThis.crypto?.randomUUID?.bind(globalThis.crypto),
  };
  slots[INSTALLED] = originals;
  const OriginalDate = originals.Date;

  function WorkflowDate(this: unknown, ...args: unknown[]): unknown {
    const activator = activatorStorage.getStore();
    if (!new.target) return activator ? new OriginalDate(activator.now).toString() : OriginalDate();
    if (args.length === 0 && activator) return Reflect.construct(OriginalDate, [activator.now], new.target);
    return Reflect.construct(OriginalDate, args, new.target);
  }
  // Same prototype: `instanceof Date` holds for dates made before and after installation.
  WorkflowDate.prototype = OriginalDate.prototype;
  WorkflowDate.now = () => activatorStorage.getStore()?.now ?? OriginalDate.now();
  WorkflowDate.parse = OriginalDate.parse;
  WorkflowDate.UTC = OriginalDate.UTC;
  globalThis.Date = WorkflowDate as unknown as DateConstructor;

  Math.random = () => {
    const activator = activatorStorage.getStore();
    return activator ? activator.random() : originals.random();
  };

  const workflowSetTimeout = (callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    const activator = activatorStorage.getStore();
    if (!activator) return originals.setTimeout(() => callback(...args), delay);
    const ms = Math.max(0, delay ?? 0);
    const handle = new WorkflowTimeout(ms > 0 ? activator.timers.peekNextId() : undefined);
    const timer = ms > 0 ? activator.timers.start(ms, undefined) : Promise.resolve();
    timer.then(
      () => {
        if (!handle.cancelled) callback(...args);
      },
      () => undefined,
    );
    return handle;
  };
  globalThis.setTimeout = workflowSetTimeout as unknown as typeof globalThis.setTimeout;

  globalThis.clearTimeout = ((handle: unknown) => {
    const activator = activatorStorage.getStore();
    if (handle instanceof WorkflowTimeout) {
      handle.cancelled = true;
      if (activator && handle.timerId !== undefined) activator.timers.cancel(handle.timerId);
      return;
    }
    originals.clearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  }) as typeof globalThis.clearTimeout;

  globalThis.setInterval = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    if (activatorStorage.getStore()) {
      throw new IllegalStateError('setInterval is not available in workflow code: use sleep() in a loop');
    }
    return originals.setInterval(() => callback(...args), delay);
  }) as typeof globalThis.setInterval;

  globalThis.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (activatorStorage.getStore()) {
      queueMicrotask(() => callback(...args));
      return undefined as unknown as NodeJS.Immediate;
    }
    return originals.setImmediate(() => callback(...args));
  }) as unknown as typeof globalThis.setImmediate;

  // util.promisify(setTimeout) and friends keep working for everyone else.
  copyPromisified(originals.setTimeout, globalThis.setTimeout);
  copyPromisified(originals.setImmediate, globalThis.setImmediate);
  copyPromisified(originals.setInterval, globalThis.setInterval);

  if (originals.randomUUID && globalThis.crypto) {
    try {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        configurable: true,
        writable: true,
        value: () => activatorStorage.getStore()?.uuid4() ?? originals.randomUUID!(),
      });
    } catch {
      // A frozen crypto object keeps the original; workflow code should use uuid4() anyway.
    }
  }
}

function copyPromisified(from: object, to: object): void {
  const custom = (from as Record<symbol, unknown>)[promisify.custom];
  if (custom !== undefined)
    Object.defineProperty(to, promisify.custom, { value: custom, configurable: true });
}

/** Puts the original globals back (tests; workers leave them installed). */
export function uninstallDeterministicGlobals(): void {
  const originals = slots[INSTALLED];
  if (!originals) return;
  globalThis.Date = originals.Date;
  Math.random = originals.random;
  globalThis.setTimeout = originals.setTimeout;
  globalThis.clearTimeout = originals.clearTimeout;
  globalThis.setInterval = originals.setInterval;
  globalThis.setImmediate = originals.setImmediate;
  if (originals.randomUUID && globalThis.crypto) {
    Object.defineProperty(globalThis.crypto, 'randomUUID', {
      configurable: true,
      writable: true,
      value: originals.randomUUID,
    });
  }
  slots[INSTALLED] = undefined;
}
