// How the history and matching roles of one process are built and reach each other and their peers.
//
// History and matching call each other: history hands tasks to matching, a matching poll records its task as
// started in history. Neither is ever half-wired: each gets, at construction, a handle it can call for the rest of
// its life. Since history's constructor takes a finished MatchingApi, the cycle is closed by letting the object
// history needs build history from itself, at the end of its own constructor:
//
// - one process alone on its database: MatchingService builds the history role with itself as history's matching
//   (`MatchingService`'s `history` factory);
// - a member of a cluster: every call goes through a router over the membership ring, which calls this process's
//   own role directly when the ring names it. The matching router builds this process's matching role, which is
//   given the history router, which builds this process's history role with both routers (the history router is
//   also history's way to its peers: child workflows and external signals go to the owner of the other workflow).
//
// The internal gRPC servers are started with the finished roles afterwards, and only then is the process
// registered in the membership table (see server.ts), so no peer can call a role that is not there yet.
import {
  createHistoryClient,
  createMatchingClient,
  type HistoryApi,
  type InternalTls,
  type MatchingApi,
} from '@odin/api';
import {
  HISTORY_ROLE,
  MATCHING_ROLE,
  type MembershipMonitor,
  RoutingHistoryClient,
  RoutingMatchingClient,
  ringShardOwnership,
} from '@odin/cluster';
import type { HistoryOptions } from '@odin/history';
import { MatchingService } from '@odin/matching';
import type { PersistenceStore } from '@odin/persistence';
import type { RuntimeContext } from '@odin/runtime';
import type { HistoryConstructor, HistoryRole } from './history-role.js';
import type { ServiceRole } from './roles.js';

/** The history and matching roles of this process and how everything in it reaches history and matching. */
export interface RoleSet {
  readonly history: HistoryRole | undefined;
  readonly matching: MatchingService | undefined;
  /** What the frontend calls history through: this process's role, or a router over the cluster's history ring. */
  readonly historyClient: HistoryApi;
  /** What the frontend calls matching through, likewise. */
  readonly matchingClient: MatchingApi;
  /** Closes the routers' connections to peers and their membership subscriptions (a cluster member only). */
  readonly closeRouters?: () => void;
}

export interface HistorySettings {
  readonly construct: HistoryConstructor;
  readonly shardCount: number;
  readonly options: Partial<HistoryOptions>;
}

type Context = RuntimeContext<PersistenceStore>;

/** Every role in this process, alone on its database: it holds every shard and task queue, no membership. */
export function wireOneProcess(ctx: Context, history: HistorySettings): RoleSet {
  const matching = new MatchingService<HistoryRole>(ctx, {
    history: (self) =>
      new history.construct(ctx, {
        matching: self,
        shardCount: history.shardCount,
        hostId: ctx.hostId,
        options: history.options,
      }),
  });
  return { history: matching.history, matching, historyClient: matching.history, matchingClient: matching };
}

/**
 * The given roles as one member of a cluster: history and matching calls are routed over the membership ring, to
 * this process's own role when the ring names it, else to the owner's internal gRPC server (over mutual TLS when
 * `tls` is given).
 */
export function wireClusterMember(
  ctx: Context,
  monitor: MembershipMonitor,
  services: ReadonlySet<ServiceRole>,
  history: HistorySettings,
  tls?: InternalTls,
): RoleSet {
  const clientOptions = tls ? { tls } : {};
  const historyMember = monitor.memberId(HISTORY_ROLE);
  const matchingMember = monitor.memberId(MATCHING_ROLE);
  /** The history router; it builds this process's history role (when it runs one) on `matching`. */
  const historyRouterOn = (matching: MatchingApi) =>
    new RoutingHistoryClient<HistoryRole>(monitor, {
      clock: ctx.clock,
      shardCount: history.shardCount,
      connect: (address) => createHistoryClient(address, clientOptions),
      ...(services.has('history')
        ? {
            local: {
              memberId: historyMember,
              create: (peers: RoutingHistoryClient<HistoryRole>) =>
                new history.construct(ctx, {
                  matching,
                  peers,
                  shardCount: history.shardCount,
                  hostId: historyMember,
                  ownership: ringShardOwnership(monitor, historyMember),
                  options: history.options,
                }),
            },
          }
        : {}),
    });
  const matchingRouter = new RoutingMatchingClient<MatchingService<RoutingHistoryClient<HistoryRole>>>(
    monitor,
    {
      clock: ctx.clock,
      connect: (address) => createMatchingClient(address, clientOptions),
      ...(services.has('matching')
        ? {
            local: {
              memberId: matchingMember,
              create: (router: MatchingApi) => new MatchingService(ctx, { history: historyRouterOn(router) }),
            },
          }
        : {}),
    },
  );
  const historyRouter = matchingRouter.local?.history ?? historyRouterOn(matchingRouter);
  const matching = matchingRouter.local;
  // Queues the ring moved to another host answer their waiting polls empty at once, so workers re-poll the owner.
  const unsubscribe = matching
    ? monitor.subscribe((role) => {
        if (role !== MATCHING_ROLE) return;
        matching.releasePartitions((namespaceId, name, type) =>
          matchingRouter.owns(matchingMember, namespaceId, name, type),
        );
      })
    : undefined;
  return {
    history: historyRouter.local,
    matching,
    historyClient: historyRouter,
    matchingClient: matchingRouter,
    closeRouters: () => {
      unsubscribe?.();
      historyRouter.close();
      matchingRouter.close();
    },
  };
}
