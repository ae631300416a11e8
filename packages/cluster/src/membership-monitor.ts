import type { Clock, TimerHandle } from '@odin/hugo';
import type { MembershipRecord, MembershipStore } from '@odin/persistence';
import type { Logger } from '@odin/runtime';
import { HashRing } from './hash-ring.js';

export interface MembershipOptions {
  /** How often this process heartbeats its records and re-reads the membership table. */
  heartbeatIntervalMs: number;
  /** A member whose last heartbeat is older than this leaves the ring (this process included). */
  ttlMs: number;
}

export const DEFAULT_MEMBERSHIP_OPTIONS: MembershipOptions = {
  heartbeatIntervalMs: 1_000,
  ttlMs: 10_000,
};

/** One role this process serves and the address peers reach it at. */
export interface MemberRole {
  role: string;
  rpcAddress: string;
}

export type MembershipLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

/** Table rows expire (and are pruned) this many TTLs after their last heartbeat. */
const RECORD_EXPIRY_TTLS = 3;
/** Old rows are pruned about once every this many ticks; pruning is housekeeping, never urgent. */
const PRUNE_EVERY_TICKS = 60;

/** The table key of one (process, role) record. */
export function memberIdOf(hostId: string, role: string): string {
  return `${hostId}/${role}`;
}

const silent: MembershipLogger = { debug() {}, info() {}, warn() {} } as unknown as MembershipLogger;

/**
 * This process's view of the cluster: heartbeats one membership row per role it serves, re-reads the table on the
 * clock, and publishes per role the live members (heartbeat younger than the TTL) and their hash ring.
 *
 * The roles and their addresses are given to `start`, not to the constructor: the routers and roles of a process
 * are built over the monitor, and a role's internal gRPC server (whose port is its address) is started with the
 * finished role, so the addresses exist only after everything that needs the monitor. Registering at start also
 * means no peer learns an address before the role behind it serves.
 *
 * A process that could not heartbeat for longer than the TTL counts itself out, even before it manages to read
 * the table again: peers have dropped it from their rings by then, so a paused or partitioned host must stop
 * claiming work at the same moment they stop expecting it to.
 */
export class MembershipMonitor {
  readonly #options: MembershipOptions;
  readonly #logger: MembershipLogger;
  /** What this process registered at start. */
  #roles: readonly MemberRole[] = [];
  #ownIds: ReadonlySet<string> = new Set();
  readonly #listeners = new Set<(role: string) => void>();
  /** Other processes' live records by role, from the last successful read. */
  #others = new Map<string, MembershipRecord[]>();
  /** This process's records by role (lastHeartbeat = last successful heartbeat). */
  readonly #own = new Map<string, MembershipRecord>();
  /** Time of the last successful heartbeat; undefined before the first and after stop. */
  #lastHeartbeatOk: number | undefined;
  /** The member ids last published per role, to tell listeners only about changes. */
  readonly #published = new Map<string, string>();
  readonly #rings = new Map<string, { key: string; ring: HashRing }>();
  #sessionStart = 0;
  #tickTimer: TimerHandle | undefined;
  #expiryTimer: TimerHandle | undefined;
  #running = false;
  #ticks = 0;
  /** Ticks, refreshes and stop run one at a time, in call order. */
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MembershipStore,
    private readonly clock: Clock,
    readonly hostId: string,
    options?: Partial<MembershipOptions>,
    logger?: Logger,
  ) {
    this.#options = { ...DEFAULT_MEMBERSHIP_OPTIONS, ...options };
    this.#logger = logger ?? silent;
  }

  /** The member id of this process in `role`. */
  memberId(role: string): string {
    return memberIdOf(this.hostId, role);
  }

  /**
   * Registers `roles` (this process's roles and the addresses peers reach them at): heartbeats once and reads the
   * members once (failures are logged and retried), then repeats on the clock.
   */
  async start(roles: readonly MemberRole[], signal?: AbortSignal): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#roles = roles;
    this.#ownIds = new Set(roles.map((r) => memberIdOf(this.hostId, r.role)));
    this.#sessionStart = this.clock.now();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    await this.refresh();
    this.#scheduleTick();
  }

  /** Stops, and marks this process's records gone (lastHeartbeat 0) so peers drop it at their next read. */
  async stop(): Promise<void> {
    if (!this.#running) return this.#chain;
    this.#running = false;
    this.#tickTimer?.cancel();
    this.#expiryTimer?.cancel();
    return this.#serial(async () => {
      this.#lastHeartbeatOk = undefined;
      const now = this.clock.now();
      try {
        await Promise.all(
          this.#roles.map((r) =>
            this.store.upsertMember({
              ...this.#record(r, now),
              lastHeartbeat: 0,
              recordExpiry: now,
            }),
          ),
        );
      } catch (error) {
        this.#logger.warn({ err: error, hostId: this.hostId }, 'could not mark membership records gone');
      }
      this.#publish();
    });
  }

  /** Heartbeats and re-reads the table now. */
  refresh(): Promise<void> {
    return this.#serial(() => this.#tick());
  }

  /** Live members of `role`, sorted by member id (hostId). */
  members(role: string): readonly MembershipRecord[] {
    const list = [...(this.#others.get(role) ?? [])];
    const own = this.#own.get(role);
    if (own && this.#selfAlive()) list.push(own);
    return list.sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
  }

  /** The hash ring of the live members of `role`; rebuilt only when that set changed. */
  ring(role: string): HashRing {
    const members = this.members(role);
    const key = members.map((m) => m.hostId).join('\n');
    const cached = this.#rings.get(role);
    if (cached && cached.key === key) return cached.ring;
    const ring = new HashRing(members);
    this.#rings.set(role, { key, ring });
    return ring;
  }

  /** `listener(role)` runs whenever the live member set of a role changed; returns the unsubscribe function. */
  subscribe(listener: (role: string) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #serial(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #scheduleTick(): void {
    if (!this.#running) return;
    this.#tickTimer = this.clock.setTimer(this.#options.heartbeatIntervalMs, () => {
      void this.#serial(() => this.#tick()).finally(() => this.#scheduleTick());
    });
  }

  #record(role: MemberRole, now: number): MembershipRecord {
    return {
      hostId: memberIdOf(this.hostId, role.role),
      role: role.role,
      rpcAddress: role.rpcAddress,
      sessionStart: this.#sessionStart,
      lastHeartbeat: now,
      recordExpiry: now + this.#options.ttlMs * RECORD_EXPIRY_TTLS,
    };
  }

  async #tick(): Promise<void> {
    if (!this.#running) return;
    const rejoining = this.#lastHeartbeatOk !== undefined && !this.#selfAlive();
    const beat = await this.#heartbeat();
    const read = await this.#read();
    // A host back from a pause or partition rejoins only with a fresh view of its peers: with the view it had
    // before, it would claim shards of hosts that died meanwhile, only to give them back a tick later.
    if (beat && (read || !rejoining)) this.#markAlive(beat.at, beat.records);
    if (++this.#ticks % PRUNE_EVERY_TICKS === 0) await this.#prune();
    this.#publish();
  }

  /** Writes this process's records; returns them and the time they carry, or undefined when the write failed. */
  async #heartbeat(): Promise<{ at: number; records: MembershipRecord[] } | undefined> {
    const at = this.clock.now();
    const records = this.#roles.map((r) => this.#record(r, at));
    try {
      await Promise.all(records.map((r) => this.store.upsertMember(r)));
      return { at, records };
    } catch (error) {
      this.#logger.warn({ err: error, hostId: this.hostId }, 'membership heartbeat failed; retrying');
      return undefined;
    }
  }

  #markAlive(at: number, records: readonly MembershipRecord[]): void {
    // A stop that raced this heartbeat wins: the records it marked gone must not look alive locally.
    if (!this.#running) return;
    for (const r of records) this.#own.set(r.role, r);
    this.#lastHeartbeatOk = at;
    this.#armSelfExpiry();
  }

  /** When heartbeats stall (a hung database call, a paused process), the expiry alone takes this process out. */
  #armSelfExpiry(): void {
    this.#expiryTimer?.cancel();
    this.#expiryTimer = this.clock.setTimer(this.#options.ttlMs + 1, () => this.#publish());
  }

  /** Re-reads the live members of every role; false when the read failed (the previous view stays). */
  async #read(): Promise<boolean> {
    let rows: MembershipRecord[];
    try {
      rows = await this.store.listMembers({ activeSince: this.clock.now() - this.#options.ttlMs });
    } catch (error) {
      this.#logger.warn({ err: error, hostId: this.hostId }, 'membership read failed; retrying');
      return false;
    }
    const others = new Map<string, MembershipRecord[]>();
    for (const row of rows) {
      if (this.#ownIds.has(row.hostId)) continue;
      const list = others.get(row.role);
      if (list) list.push(row);
      else others.set(row.role, [row]);
    }
    this.#others = others;
    return true;
  }

  async #prune(): Promise<void> {
    try {
      await this.store.pruneMembers(this.clock.now());
    } catch (error) {
      this.#logger.debug({ err: error }, 'membership prune failed');
    }
  }

  #selfAlive(): boolean {
    return (
      this.#lastHeartbeatOk !== undefined && this.clock.now() - this.#lastHeartbeatOk <= this.#options.ttlMs
    );
  }

  /** Tells listeners about every role whose live member set differs from what they were last told. */
  #publish(): void {
    const roles = new Set<string>([...this.#others.keys(), ...this.#own.keys(), ...this.#published.keys()]);
    const changed: string[] = [];
    for (const role of roles) {
      const key = this.members(role)
        .map((m) => m.hostId)
        .join('\n');
      if ((this.#published.get(role) ?? '') === key) continue;
      this.#published.set(role, key);
      changed.push(role);
    }
    for (const role of changed) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(role);
        } catch (error) {
          this.#logger.warn({ err: error, role }, 'membership listener failed');
        }
      }
    }
  }
}
