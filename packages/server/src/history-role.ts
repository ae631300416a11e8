import type { HistoryApi, HistoryPeerApi } from '@odin/api';
import { type HistoryDeps, HistoryService } from '@odin/history';
import type { PersistenceStore } from '@odin/persistence';
import type { RuntimeContext } from '@odin/runtime';

/** The history role as the server assembly drives it (services/history's HistoryService). */
export interface HistoryRole extends HistoryApi, HistoryPeerApi {
  start(signal: AbortSignal): Promise<void> | void;
  stop(): Promise<void> | void;
  /** The shards this host holds now (readiness); a role without it is not checked for shards. */
  readonly shards?: { ownedShardIds(): number[] };
}

export type HistoryConstructor = new (
  ctx: RuntimeContext<PersistenceStore>,
  deps: HistoryDeps,
) => HistoryRole;

/** The history role of this build; a constructor argument so tests can put another in its place. */
export const defaultHistoryService: HistoryConstructor = HistoryService;
