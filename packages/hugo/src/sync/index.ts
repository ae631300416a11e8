// Go/defer, WaitGroup, locks, a counting semaphore, Once and Pool.
export { DeferStack, defer, deferAsync, run } from './go.js';
export { type LockScope, Mutex, RwMutex } from './mutex.js';
export { Once } from './once.js';
export { Pool, type PoolOptions } from './pool.js';
export { Semaphore } from './internal/semaphore.js';
export { WaitGroup, type WaitGroupOptions } from './waitgroup.js';
