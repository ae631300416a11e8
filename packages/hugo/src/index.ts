export * from './clock.js';
// Result, Error, policies, ErrGroup, determinism and diagnostics.
export * from './core.js';
// Go/defer, WaitGroup, locks, Once, Pool, channels, select, timers, TaskQueue.
export * from './sync.js';
