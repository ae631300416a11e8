export * from './test-environment.js';
export * from './workflow-simulator.js';
export * from './skipping-clock.js';
export type { SimulatedUpdate, SimulatedUpdateState } from './simulated-updates.js';
