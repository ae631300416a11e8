/**
 * One async mutex per key (namespace id + workflow id): every read-modify-commit of a workflow runs under it, so
 * transitions of one workflow never interleave. Entries vanish when nobody holds or waits for them.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async acquire(key: string): Promise<() => void> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous ? previous.then(() => mine) : mine;
    this.#tails.set(key, tail);
    if (previous) await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }

  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

export function workflowKey(namespaceId: string, workflowId: string): string {
  return `${namespaceId}\u0000${workflowId}`;
}
