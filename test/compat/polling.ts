// Waiting for what a server does in the background (visibility, schedules, batch jobs, namespace deletion), and
// reading the gRPC status out of an SDK error: shared by the compat scenarios.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until `ok` holds or `ms` passed; returns the last value read either way (the caller asserts on it). */
export async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > end) return value;
    await sleep(100);
  }
}

/** Probes until it returns a value; throws naming `label` when `ms` passed first. */
export async function waitFor<T>(label: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await sleep(200);
  }
}

/** The gRPC code and message of an SDK error (the client wraps the service's error in `cause`). */
export function grpcError(error: unknown): { code?: number; text: string } {
  type Link = { code?: number; details?: string; message?: string; cause?: unknown };
  const chain: Link[] = [];
  for (let e = error as Link | undefined; e && chain.length < 5; e = e.cause as Link | undefined)
    chain.push(e);
  return {
    code: chain.find((e) => typeof e.code === 'number')?.code,
    text: chain.map((e) => `${e.message ?? ''} ${e.details ?? ''}`).join(' | '),
  };
}
