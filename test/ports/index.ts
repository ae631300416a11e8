// Ports for the servers the tests and benches start as processes of their own, which need the number before
// they bind it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Linux hands out the local ports of outgoing connections, and of listen(0), from `ip_local_port_range`. A port
 * found there with listen(0) and closed again can be taken by any connection the machine opens before the
 * server binds it (a database pool, another test's gRPC channel), and the server then fails with EADDRINUSE.
 * Below that range nothing is handed out implicitly: a port picked there that could be bound a moment ago stays
 * free until something binds it by number.
 */
const PICK_FROM = 10_000;
const FALLBACK_RANGE_START = 32_768;

function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(start);
    return Number.isInteger(value) && value > 0 ? value : FALLBACK_RANGE_START;
  } catch {
    return FALLBACK_RANGE_START;
  }
}

const rangeEnd = ephemeralRangeStart();
/** Given out by this process already: a server may not have bound it yet, so a second probe would find it free. */
const given = new Set<number>();

function listenOn(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, host, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/** A TCP port on `host` that could be bound a moment ago and that no outgoing connection will take meanwhile. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return (
    (rangeEnd - PICK_FROM >= 1_000 ? await freePortBetween(PICK_FROM, rangeEnd, host) : undefined) ??
    // A machine whose ephemeral range starts low: the OS's pick, with the race described above.
    (await osPick(host))
  );
}

/** A port in [from, to) that could be bound a moment ago and was not given out before; undefined after 200 tries. */
export async function freePortBetween(
  from: number,
  to: number,
  host = '127.0.0.1',
): Promise<number | undefined> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (given.has(port)) continue;
    if ((await listenOn(port, host)) === port) {
      given.add(port);
      return port;
    }
  }
  return undefined;
}

async function osPick(host: string): Promise<number> {
  const port = await listenOn(0, host);
  if (port === undefined) throw new Error(`no free TCP port on ${host}`);
  given.add(port);
  return port;
}
