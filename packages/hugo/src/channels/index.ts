// Channels, select, fan-in/out and timers.
export type { BoundedChannelFullMode, ChannelReader, ChannelWriter, ReadAttempt } from './types.js';
export { boundedChannel, Channel, type ChannelOptions, makeChannel, unboundedChannel } from './channel.js';
export { channelCompletedError } from './errors.js';
export { PrioritizedChannel, type PrioritizedChannelOptions, prioritizedChannel } from './prioritized.js';
export {
  type CaseOutcome,
  channelCase,
  channelCases,
  type DefaultCase,
  defaultCase,
  type ReadCase,
  type SelectCase,
  type SelectOptions,
  select,
} from './select.js';
export { SelectBuilder, selectBuilder } from './select-builder.js';
export {
  type FanInOptions,
  type FanOptions,
  type FanOutOptions,
  fanIn,
  fanInAsync,
  fanOut,
  fanOutAsync,
  selectFanIn,
} from './fan.js';
export { after, afterAsync, delay, newTicker, Ticker, type TimerOptions, tick } from './timers.js';
