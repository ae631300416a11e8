// The roles are wired by construction: what each role is given at construction is the handle it keeps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryApi } from '@odin/api';
import { MembershipMonitor } from '@odin/cluster';
import type { HistoryDeps } from '@odin/history';
import { SystemClock } from '@odin/hugo';
import type { MembershipStore, PersistenceStore } from '@odin/persistence';
import { createRuntimeContext, loadConfig } from '@odin/runtime';
import type { HistoryConstructor, HistoryRole } from '../src/history-role.js';
import { type HistorySettings, wireClusterMember, wireOneProcess } from '../src/wiring.js';

/** A history role that records what it was built with; nothing here is started. */
function recordingHistory(): { construct: HistoryConstructor; built: HistoryDeps[] } {
  const built: HistoryDeps[] = [];
  const construct = class {
    constructor(_ctx: unknown, deps: HistoryDeps) {
      built.push(deps);
    }
    start() {}
    stop() {}
  } as unknown as HistoryConstructor;
  return { construct, built };
}

function context() {
  const clock = new SystemClock();
  const config = loadConfig({}, { logLevel: 'silent', shardCount: 4, hostId: 'host-a' });
  return createRuntimeContext({ store: {} as PersistenceStore, config, clock });
}

function settings(construct: HistoryConstructor): HistorySettings {
  return { construct, shardCount: 4, options: {} };
}

describe('wiring', () => {
  test('one process: matching builds history with itself as history’s matching', () => {
    const { construct, built } = recordingHistory();
    const roles = wireOneProcess(context(), settings(construct));
    assert.equal(built.length, 1);
    assert.equal(built[0]?.matching, roles.matching, 'history calls this matching');
    assert.equal(roles.matching?.history, roles.history, 'matching calls this history');
    assert.equal(roles.historyClient, roles.history);
    assert.equal(roles.matchingClient, roles.matching);
    assert.equal(built[0]?.peers, undefined, 'history is its own peer');
    assert.equal(roles.closeRouters, undefined);
  });

  test('cluster member with history and matching: each reaches the other through a router that knows it', () => {
    const ctx = context();
    const monitor = new MembershipMonitor({} as MembershipStore, ctx.clock, ctx.hostId);
    const { construct, built } = recordingHistory();
    const roles = wireClusterMember(
      ctx,
      monitor,
      new Set(['history', 'matching'] as const),
      settings(construct),
    );
    try {
      assert.equal(built.length, 1);
      const deps = built[0] as HistoryDeps;
      assert.equal(deps.matching, roles.matchingClient, 'history calls matching through the matching router');
      assert.equal(deps.peers, roles.historyClient, 'history reaches its peers through the history router');
      assert.equal(deps.hostId, 'host-a/history');
      assert.ok(deps.ownership, 'shards follow the ring');
      assert.equal(roles.matching?.history, roles.historyClient, 'matching calls history through the router');
      const historyRouter = roles.historyClient as HistoryApi & { local?: HistoryRole };
      const matchingRouter = roles.matchingClient as { local?: unknown };
      assert.equal(historyRouter.local, roles.history, 'the history router calls this history directly');
      assert.equal(matchingRouter.local, roles.matching, 'the matching router calls this matching directly');
    } finally {
      roles.closeRouters?.();
    }
  });

  test('cluster member without history or matching: routers only', () => {
    const ctx = context();
    const monitor = new MembershipMonitor({} as MembershipStore, ctx.clock, ctx.hostId);
    const { construct, built } = recordingHistory();
    const roles = wireClusterMember(ctx, monitor, new Set(['frontend'] as const), settings(construct));
    try {
      assert.equal(built.length, 0);
      assert.equal(roles.history, undefined);
      assert.equal(roles.matching, undefined);
      assert.ok(roles.historyClient && roles.matchingClient);
    } finally {
      roles.closeRouters?.();
    }
  });
});
