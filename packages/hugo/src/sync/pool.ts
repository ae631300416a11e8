export interface PoolOptions<T> {
  /** Makes an item when the pool is empty; without it an empty `get()` throws. */
  readonly create?: () => T;
  /** Items kept at most; a `put` beyond it drops the item. Defaults to unbounded. */
  readonly maxCapacity?: number;
}

/** Hugo's `Pool<T>` (Go's `sync.Pool`): reusable objects, handed out most-recently-returned first. */
export class Pool<T> {
  private readonly items: T[] = [];
  private readonly create: (() => T) | undefined;
  readonly maxCapacity: number;

  constructor(options: PoolOptions<T> = {}) {
    const max = options.maxCapacity ?? Number.POSITIVE_INFINITY;
    if (!(max >= 0)) throw new RangeError(`maxCapacity must be non-negative, got ${max}.`);
    this.create = options.create;
    this.maxCapacity = max;
  }

  get size(): number {
    return this.items.length;
  }

  get(): T {
    if (this.items.length > 0) return this.items.pop() as T;
    if (!this.create) throw new Error('The pool is empty and has no create function.');
    return this.create();
  }

  /** Returns an item; false when the pool is full and the item was dropped. */
  put(item: T): boolean {
    if (item === undefined || item === null) throw new TypeError('Cannot put null or undefined into a pool.');
    if (this.items.length >= this.maxCapacity) return false;
    this.items.push(item);
    return true;
  }
}
