import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { freePort, freePortBetween } from './index.js';

const ephemeralStart = Number(
  readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
);

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('freePort gives bindable ports below the range outgoing connections take theirs from, each once', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 20; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) {
    assert.ok(port >= 10_000 && port < ephemeralStart, `${port} is below ${ephemeralStart}`);
  }
  const server = await listen(ports[0]!);
  assert.ok(server, `port ${ports[0]} can be bound`);
  await close(server);
});

test('freePortBetween passes over ports something listens on, and gives none twice', async () => {
  // A window of eight ports in the low range, seven of them held by listeners of this test (not given out by
  // freePort, so only the probe can tell they are taken): the eighth is the only answer.
  for (let window = 0; window < 20; window++) {
    const base = 20_000 + Math.floor(Math.random() * 8_000);
    const servers: Server[] = [];
    let bound = true;
    for (let port = base; port < base + 7 && bound; port++) {
      const server = await listen(port);
      if (server) servers.push(server);
      else bound = false;
    }
    try {
      if (!bound) continue; // something of the machine's own listens in this window: another one
      assert.equal(await freePortBetween(base, base + 8), base + 7);
      assert.equal(await freePortBetween(base, base + 8), undefined, 'the one free port is not given twice');
      return;
    } finally {
      for (const server of servers) await close(server);
    }
  }
  assert.fail('no window of eight free ports found');
});
