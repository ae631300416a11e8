export * from './cancellation.js';
export * from './chain.js';
export * from './collections.js';
export * from './combinators.js';
export * from './error.js';
export { ErrorMetadata, type MetadataInput } from './metadata.js';
export { Result } from './namespace.js';
export {
  type Awaitable,
  type Fail,
  fail,
  failUncounted,
  isFail,
  isOk,
  isResult,
  type Ok,
  ok,
  ResultError,
  type ResultLike,
} from './result.js';
