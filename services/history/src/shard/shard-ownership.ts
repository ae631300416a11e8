/**
 * Which shards this history host should hold, decided outside history (in a cluster, by the membership hash ring;
 * the process wires it in). History only asks and listens; the leases themselves stay fenced by range_id, so a
 * wrong or stale answer costs a steal and a retry, never a write under a lost fence.
 */
export interface ShardOwnership {
  /** Whether this host should hold `shardId` now. */
  owns(shardId: number): boolean;
  /** `onChange` runs whenever the answer of `owns` may have changed; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
}
