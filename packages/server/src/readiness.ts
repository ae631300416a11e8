import type { PersistenceStore } from '@odin/persistence';
import type { ReadinessCheck } from './metrics-endpoint.js';

/** How long GET /readyz waits for the database before it calls it unreachable. */
const PERSISTENCE_TIMEOUT_MS = 2_000;

export type Phase = 'starting' | 'ready' | 'draining';

/**
 * Whether this process should receive traffic: it finished starting and is not stopping, its database answers,
 * and every extra check of its roles passes (history: the shards it must own).
 */
export class Readiness {
  #phase: Phase = 'starting';
  readonly #extra: (() => ReadinessCheck)[] = [];

  constructor(private readonly store: PersistenceStore) {}

  get phase(): Phase {
    return this.#phase;
  }

  markReady(): void {
    if (this.#phase === 'starting') this.#phase = 'ready';
  }

  markDraining(): void {
    this.#phase = 'draining';
  }

  addCheck(check: () => ReadinessCheck): void {
    this.#extra.push(check);
  }

  async checks(): Promise<ReadinessCheck[]> {
    const phase: ReadinessCheck =
      this.#phase === 'ready'
        ? { name: 'started', ok: true }
        : { name: 'started', ok: false, detail: this.#phase };
    return [phase, await this.#persistence(), ...this.#extra.map((check) => check())];
  }

  async #persistence(): Promise<ReadinessCheck> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${PERSISTENCE_TIMEOUT_MS} ms`)),
        PERSISTENCE_TIMEOUT_MS,
      );
    });
    try {
      // The cheapest query every dialect answers from the database itself (the migration bookkeeping).
      await Promise.race([this.store.schemaVersion(), timeout]);
      return { name: 'persistence', ok: true };
    } catch (error) {
      return {
        name: 'persistence',
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
