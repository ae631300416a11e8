import type { MembershipMonitor } from '../membership-monitor.js';
import type { CallTarget } from './owner-call.js';
import { MemberClients } from './member-clients.js';

/**
 * This process's own role behind a router, called directly (no gRPC) when the ring names this process. The router
 * builds it: `create` is given the router, because the role itself calls through it (a history host reaches the
 * owners of other workflows' shards through the history router that reaches it, and matching reaches history through
 * the router whose local role history calls matching through). `create` runs at the end of the router's
 * constructor, when the router already routes to remote members; the role may keep the router but must not call it
 * before the constructor returned.
 */
export interface LocalRole<Router, Role> {
  /** This process's member id in the role (`hostId/role`). */
  readonly memberId: string;
  readonly create: (router: Router) => Role;
}

/**
 * Where calls of one role go: the ring's owner of a key, reached through a gRPC client per member address (closed
 * once the member leaves), or this process's own implementation when the owner is this process.
 */
export class RoleTargets<Api> {
  readonly #clients: MemberClients<Api & { close(): void }>;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly monitor: MembershipMonitor,
    private readonly role: string,
    connect: (address: string) => Api & { close(): void },
  ) {
    this.#clients = new MemberClients(connect);
    this.#unsubscribe = monitor.subscribe((changed) => {
      if (changed === role) this.#clients.retain(new Set(monitor.members(role).map((m) => m.rpcAddress)));
    });
  }

  /** The owner of `key` now (`local` when this process is the owner); undefined while no member is live. */
  target(
    key: string,
    local: { readonly memberId: string; readonly api: Api } | undefined,
  ): CallTarget<Api> | undefined {
    const owner = this.monitor.ring(this.role).owner(key);
    if (!owner) return undefined;
    if (local && owner.hostId === local.memberId) return { api: local.api, memberId: owner.hostId };
    return { api: this.#clients.get(owner.rpcAddress), memberId: owner.hostId };
  }

  /** True when `memberId` owns `key` in the ring now. */
  owns(memberId: string, key: string): boolean {
    return this.monitor.ring(this.role).owner(key)?.hostId === memberId;
  }

  close(): void {
    this.#unsubscribe();
    this.#clients.closeAll();
  }
}
