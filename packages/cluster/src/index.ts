export { HashRing, rendezvousWeight } from './hash-ring.js';
export {
  DEFAULT_MEMBERSHIP_OPTIONS,
  MembershipMonitor,
  memberIdOf,
} from './membership-monitor.js';
export type {
  MemberRole,
  MembershipLogger,
  MembershipOptions,
} from './membership-monitor.js';
export { HISTORY_ROLE, ringShardOwnership, shardRingKey } from './shard-ownership.js';
export type { ShardOwnership } from './shard-ownership.js';
export { callOwner } from './routing/owner-call.js';
export type { CallTarget, OwnerCallOptions } from './routing/owner-call.js';
export type { LocalRole } from './routing/role-targets.js';
export { RoutingHistoryClient } from './routing/routing-history-client.js';
export type { HistoryEndpoint, RoutingHistoryOptions } from './routing/routing-history-client.js';
export { MATCHING_ROLE, RoutingMatchingClient, taskQueueRingKey } from './routing/routing-matching-client.js';
export type { RoutingMatchingOptions } from './routing/routing-matching-client.js';
