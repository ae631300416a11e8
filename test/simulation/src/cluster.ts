import type { CallContext, HistoryApi, MatchingApi, NamespaceRef } from '@odin/api';
import {
  HISTORY_ROLE,
  MATCHING_ROLE,
  type MemberRole,
  MembershipMonitor,
  RoutingHistoryClient,
  RoutingMatchingClient,
  ringShardOwnership,
  type HistoryEndpoint,
} from '@odin/cluster';
import { FrontendService } from '@odin/frontend';
import { type HistoryOptions, HistoryService } from '@odin/history';
import type { VirtualClock } from '@odin/hugo';
import { MatchingService } from '@odin/matching';
import type { PersistenceStore } from '@odin/persistence';
import { createLogger, createRuntimeContext, loadConfig, SeededRandom } from '@odin/runtime';
import { frontendScheduleWorkflows } from '@odin/server';
import { CleanupWorker, ScheduleRunner, ScheduleService } from '@odin/worker-service';
import { faultyStore, type StoreFaultControl } from './faulty-store.js';
import type { Network } from './network.js';
import { NodeClock } from './node-clock.js';
import type { Trace } from './trace.js';

export type ServerKind = 'history' | 'matching' | 'frontend';

/** One simulated server process: its clock, its connection to the database, the roles it runs. */
export interface ServerNode {
  readonly name: string;
  readonly kind: ServerKind;
  readonly clock: NodeClock;
  readonly monitor: MembershipMonitor;
  readonly history?: HistoryService;
  readonly matching?: MatchingService<HistoryApi>;
  readonly frontend?: FrontendService;
  readonly abort: AbortController;
}

export interface ClusterSettings {
  readonly shardCount: number;
  readonly history: Partial<HistoryOptions>;
  readonly heartbeatIntervalMs: number;
  readonly membershipTtlMs: number;
}

type AnyApi = Record<string, (ns: NamespaceRef, req: unknown, ctx: CallContext) => Promise<unknown>>;

/**
 * The server side of the simulation: history, matching and frontend processes as members of one cluster on the
 * shared database, wired like `wireClusterMember` in @odin/server (membership ring, routers to owners) except that a
 * router's "gRPC client" of a peer is a stub whose calls go through the simulated network to the peer's roles.
 * A crash kills a process's clock and connection (memory lost, database kept); a restart builds it anew.
 */
export class SimCluster {
  readonly nodes = new Map<string, ServerNode>();
  #generation = 0;

  constructor(
    private readonly base: VirtualClock,
    private readonly network: Network,
    private readonly random: SeededRandom,
    private readonly trace: Trace,
    private readonly store: PersistenceStore,
    private readonly storeFaults: StoreFaultControl,
    private readonly settings: ClusterSettings,
  ) {}

  /** A client of `to`'s role for a process `from`: every call crosses the network, to whatever runs there now. */
  #stub<Api>(from: string, to: string, role: 'history' | 'matching'): Api & { close(): void } {
    const network = this.network;
    const nodes = this.nodes;
    const fromClock = () => nodes.get(from)?.clock;
    return new Proxy({} as Api & { close(): void }, {
      get(_target, method) {
        if (method === 'close') return () => undefined;
        if (method === 'then' || typeof method !== 'string') return undefined;
        if (method === 'recordsSdkMetadata') return true;
        return (ns: NamespaceRef, req: unknown, ctx: CallContext) => {
          const callerNow = fromClock()?.now() ?? network.now();
          const remaining = ctx?.deadline === undefined ? undefined : ctx.deadline - callerNow;
          return network.call(
            {
              from,
              to,
              method,
              deadline: remaining === undefined ? undefined : network.now() + remaining,
              signal: ctx?.signal,
            },
            async () => {
              const node = nodes.get(to);
              const api = (role === 'history' ? node?.history : node?.matching) as unknown as
                | AnyApi
                | undefined;
              if (!node || !api) throw new Error(`simulation bug: ${to} runs no ${role}`);
              const calleeCtx: CallContext = {
                ...ctx,
                ...(remaining === undefined ? {} : { deadline: node.clock.now() + remaining }),
              };
              const fn = api[method];
              if (typeof fn !== 'function') throw new Error(`simulation bug: ${role} has no ${method}`);
              return fn.call(api, ns, req, calleeCtx);
            },
          );
        };
      },
    });
  }

  async start(name: string, kind: ServerKind): Promise<ServerNode> {
    const clock = new NodeClock(this.base);
    const random = new SeededRandom(this.random.int(2 ** 32));
    const generation = ++this.#generation;
    const store = faultyStore(this.store, { name, clock }, this.storeFaults, random, this.trace);
    const config = loadConfig(
      {},
      {
        logLevel: 'silent',
        shardCount: this.settings.shardCount,
        hostId: name,
        membershipHeartbeatIntervalMs: this.settings.heartbeatIntervalMs,
        membershipTtlMs: this.settings.membershipTtlMs,
      },
    );
    const ctx = createRuntimeContext({
      store,
      config,
      clock,
      random,
      hostId: name,
      logger: createLogger({ level: 'silent', clock }),
    });
    const monitor = new MembershipMonitor(store.membership, clock, name, {
      heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
      ttlMs: this.settings.membershipTtlMs,
    });
    const historyMember = monitor.memberId(HISTORY_ROLE);
    const matchingMember = monitor.memberId(MATCHING_ROLE);
    const historyRouterOn = (matching: MatchingApi) =>
      new RoutingHistoryClient<HistoryService>(monitor, {
        clock,
        shardCount: this.settings.shardCount,
        connect: (address) => this.#stub<HistoryEndpoint>(name, address, 'history'),
        ...(kind === 'history'
          ? {
              local: {
                memberId: historyMember,
                create: (peers: RoutingHistoryClient<HistoryService>) =>
                  new HistoryService(ctx, {
                    matching,
                    peers,
                    shardCount: this.settings.shardCount,
                    hostId: historyMember,
                    ownership: ringShardOwnership(monitor, historyMember),
                    options: this.settings.history,
                  }),
              },
            }
          : {}),
      });
    const matchingRouter = new RoutingMatchingClient<MatchingService<RoutingHistoryClient<HistoryService>>>(
      monitor,
      {
        clock,
        connect: (address) => this.#stub<MatchingApi>(name, address, 'matching'),
        ...(kind === 'matching'
          ? {
              local: {
                memberId: matchingMember,
                create: (router: MatchingApi) =>
                  new MatchingService(ctx, { history: historyRouterOn(router) }),
              },
            }
          : {}),
      },
    );
    const historyRouter = matchingRouter.local?.history ?? historyRouterOn(matchingRouter);
    const matching = matchingRouter.local;
    if (matching) {
      monitor.subscribe((role) => {
        if (role !== MATCHING_ROLE) return;
        matching.releasePartitions((namespaceId, queue, type) =>
          matchingRouter.owns(matchingMember, namespaceId, queue, type),
        );
      });
    }
    // Schedules: the frontend's schedule service writes the rows, the worker role's runner beside it runs them.
    let scheduleRunner: ScheduleRunner | undefined;
    const frontend =
      kind === 'frontend'
        ? new FrontendService(ctx, {
            history: historyRouter,
            matching: matchingRouter,
            schedules: new ScheduleService({ store, clock, onDue: (at) => scheduleRunner?.wake(at) }),
          })
        : undefined;
    if (frontend)
      scheduleRunner = new ScheduleRunner({
        store,
        clock,
        logger: ctx.logger,
        workflows: frontendScheduleWorkflows(frontend),
      });
    const node: ServerNode = {
      name,
      kind,
      clock,
      monitor,
      abort: new AbortController(),
      ...(historyRouter.local ? { history: historyRouter.local } : {}),
      ...(matching ? { matching: matching as unknown as MatchingService<HistoryApi> } : {}),
      ...(frontend ? { frontend } : {}),
    };
    this.nodes.set(name, node);
    this.network.up(name);
    this.trace.add(this.base.now(), `start ${name} (${kind}) generation ${generation}`);
    if (matching) await matching.start(node.abort.signal);
    const members: MemberRole[] = [];
    if (node.history) members.push({ role: HISTORY_ROLE, rpcAddress: name });
    if (matching) members.push({ role: MATCHING_ROLE, rpcAddress: name });
    if (frontend) members.push({ role: 'frontend', rpcAddress: name });
    await monitor.start(members, node.abort.signal);
    if (node.history) await node.history.start(node.abort.signal);
    if (frontend) {
      // The worker role (retention, schedules) runs beside the frontend.
      new CleanupWorker({ store, clock, logger: ctx.logger, defaultRetentionDays: 30 }).start(
        node.abort.signal,
      );
      scheduleRunner?.start(node.abort.signal);
    }
    return node;
  }

  /** Kills the process: nothing it holds in memory survives, nothing more of it runs; the database keeps its writes. */
  crash(name: string): void {
    const node = this.nodes.get(name);
    if (!node || node.clock.dead) return;
    this.trace.add(this.base.now(), `crash ${name}`);
    node.clock.kill();
    this.network.down(name);
  }

  async restart(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    if (!node.clock.dead) this.crash(name);
    await this.start(name, node.kind);
  }
}
