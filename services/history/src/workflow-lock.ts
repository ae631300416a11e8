import { Mutex } from '@odin/hugo';
import type { LockScope } from '@odin/hugo';

/**
 * One async mutex per key (namespace id + workflow id): every read-modify-commit of a workflow runs under it, so
 * transitions of one workflow never interleave. Hugo has the mutex (FIFO, the lock handed straight to the longest
 * waiter) but no keyed table of them, which is all this adds: a key's mutex exists while someone holds or waits for
 * it, so a host that has seen millions of workflows keeps locks only for those in flight.
 */
export class KeyedLock {
  readonly #locks = new Map<string, { mutex: Mutex; users: number }>();

  async acquire(key: string): Promise<LockScope> {
    let entry = this.#locks.get(key);
    if (!entry) {
      entry = { mutex: new Mutex(), users: 0 };
      this.#locks.set(key, entry);
    }
    entry.users++;
    const held = entry;
    const scope = await held.mutex.lock();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      scope.release();
      if (--held.users === 0) this.#locks.delete(key);
    };
    return { release, [Symbol.dispose]: release };
  }

  /** Keys locked or waited for now (tests). */
  get size(): number {
    return this.#locks.size;
  }
}

export function workflowKey(namespaceId: string, workflowId: string): string {
  return `${namespaceId}\u0000${workflowId}`;
}
