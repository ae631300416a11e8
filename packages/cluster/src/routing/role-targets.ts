import type { MembershipMonitor } from '../membership-monitor.js';
import type { CallTarget } from './owner-call.js';
import { MemberClients } from './member-clients.js';

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
    private readonly local?: { readonly memberId: string; readonly api: Api },
  ) {
    this.#clients = new MemberClients(connect);
    this.#unsubscribe = monitor.subscribe((changed) => {
      if (changed === role) this.#clients.retain(new Set(monitor.members(role).map((m) => m.rpcAddress)));
    });
  }

  /** The owner of `key` now; undefined while no member of the role is live. */
  target(key: string): CallTarget<Api> | undefined {
    const owner = this.monitor.ring(this.role).owner(key);
    if (!owner) return undefined;
    if (this.local && owner.hostId === this.local.memberId)
      return { api: this.local.api, memberId: owner.hostId };
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
