import type { MembershipRecord } from '@odin/persistence';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of `text`, continuing from `seed`. */
function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h = Math.imul(h ^ (c & 0xff), FNV_PRIME);
    h = Math.imul(h ^ (c >>> 8), FNV_PRIME);
  }
  return h >>> 0;
}

/** Murmur3's finalizer: FNV alone leaves near-identical inputs with correlated high bits, which skews HRW. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The weight of `key` on `memberId`: 52 bits from two independently seeded 32-bit hashes, so ties practically
 * never happen. Fixed arithmetic only, so every process computes the same ring from the same member list.
 */
export function rendezvousWeight(memberId: string, key: string): number {
  const text = `${memberId}\u0000${key}`;
  const hi = fmix32(fnv1a(text, FNV_OFFSET));
  const lo = fmix32(fnv1a(text, FNV_OFFSET ^ 0x5bd1e995));
  return (hi >>> 12) * 2 ** 32 + lo;
}

/**
 * Rendezvous (highest-random-weight) hashing: a key belongs to the member with the highest weight for it. Removing
 * a member moves only that member's keys; adding one takes about 1/n of the keys from the others.
 */
export class HashRing {
  readonly #members: readonly MembershipRecord[];

  constructor(members: readonly MembershipRecord[]) {
    // Sorted and de-duplicated so that the answer never depends on the order the caller listed the members in.
    const byId = new Map<string, MembershipRecord>();
    for (const m of members) byId.set(m.hostId, m);
    this.#members = [...byId.values()].sort((a, b) =>
      a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0,
    );
  }

  get size(): number {
    return this.#members.length;
  }

  get memberIds(): string[] {
    return this.#members.map((m) => m.hostId);
  }

  /** The member that owns `key`; undefined when the ring is empty. */
  owner(key: string): MembershipRecord | undefined {
    let best: MembershipRecord | undefined;
    let bestWeight = -1;
    for (const m of this.#members) {
      const w = rendezvousWeight(m.hostId, key);
      // Ties (vanishingly rare) go to the smaller id, which the sort put first.
      if (w > bestWeight) {
        best = m;
        bestWeight = w;
      }
    }
    return best;
  }
}
