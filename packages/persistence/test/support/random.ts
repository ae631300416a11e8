/** Seeded PRNG (mulberry32) so a failing randomized run can be replayed with ODIN_TEST_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testSeed(): number {
  const fromEnv = process.env['ODIN_TEST_SEED'];
  return fromEnv !== undefined ? Number(fromEnv) : (Date.now() ^ process.pid) >>> 0;
}

/** Yields to the event loop a random number of times, to shuffle the interleaving of concurrent loops. */
export async function jitter(random: () => number, maxYields = 3): Promise<void> {
  const n = Math.floor(random() * (maxYields + 1));
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
