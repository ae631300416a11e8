import type { MembershipMonitor } from './membership-monitor.js';

/**
 * What a history host asks of the cluster about its shards. The same shape as history's ShardOwnership, declared
 * here structurally: neither package depends on the other, the process wiring them passes this object across.
 */
export interface ShardOwnership {
  owns(shardId: number): boolean;
  subscribe(onChange: () => void): () => void;
}

export const HISTORY_ROLE = 'history';

/** The ring key of a history shard. */
export function shardRingKey(shardId: number): string {
  return `shard:${shardId}`;
}

/** Shard ownership decided by the live 'history' members' hash ring: `memberId` owns the shards the ring gives it. */
export function ringShardOwnership(monitor: MembershipMonitor, memberId: string): ShardOwnership {
  return {
    owns: (shardId) => monitor.ring(HISTORY_ROLE).owner(shardRingKey(shardId))?.hostId === memberId,
    subscribe: (onChange) =>
      monitor.subscribe((role) => {
        if (role === HISTORY_ROLE) onChange();
      }),
  };
}
