export * from './auth-config.js';
export * from './config.js';
export * from './context.js';
export * from './logger.js';
export * from './metrics.js';
export * from './random.js';
export * from './tracing.js';
export * from './tls/index.js';
