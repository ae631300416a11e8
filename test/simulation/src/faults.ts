import type { VirtualClock } from '@odin/hugo';
import type { SimCluster } from './cluster.js';
import { HEALTHY_STORE, type StoreFaultControl } from './faulty-store.js';
import { CALM_NETWORK, type Network } from './network.js';
import type { NodeClock } from './node-clock.js';
import type { Trace } from './trace.js';
import type { SimWorkers } from './workers.js';
import type { Fault } from './workload.js';

export interface FaultDeps {
  readonly base: VirtualClock;
  readonly cluster: SimCluster;
  readonly workers: SimWorkers;
  readonly network: Network;
  readonly storeFaults: StoreFaultControl;
  readonly trace: Trace;
  readonly clockOf: (node: string) => NodeClock | undefined;
}

/** Rates while `db-errors` is on. */
const DB_ERRORS = { commitFailRate: 0.1, lostAckRate: 0.1, slowRate: 0.1, slowMaxMs: 3_000 };
/** Rates while `network-chaos` is on. */
const NETWORK_CHAOS = { dropRate: 0.1, duplicateRate: 0.1, lostReplyRate: 0.1, maxDelayMs: 300 };

/** Schedules every fault at its time and its end `forMs` later; `active()` counts the faults not over yet. */
export function scheduleFaults(deps: FaultDeps, faults: readonly Fault[]): { active(): number } {
  const { base, cluster, workers, network, storeFaults, trace, clockOf } = deps;
  let active = 0;
  /** A history host's graceful exit: it releases its shards, leaves the ring, and stops. */
  const leave = async (name: string) => {
    const node = cluster.nodes.get(name);
    if (!node || node.clock.dead || node.clock.paused) return;
    await node.history?.stop();
    await node.monitor.stop();
    cluster.crash(name);
  };
  const apply = (fault: Fault) => {
    trace.add(
      base.now(),
      `fault ${fault.kind} ${fault.target}${fault.peer ? `/${fault.peer}` : ''} for ${fault.forMs}`,
    );
    active++;
    const later = (fn: () => Promise<void> | void) =>
      base.setTimer(fault.forMs, () => {
        trace.add(base.now(), `fault over ${fault.kind} ${fault.target}`);
        void Promise.resolve(fn()).finally(() => active--);
      });
    switch (fault.kind) {
      case 'crash':
        cluster.crash(fault.target);
        later(() => cluster.restart(fault.target));
        break;
      case 'pause': {
        const clock = clockOf(fault.target);
        clock?.pause();
        later(() => clock?.resume());
        break;
      }
      case 'clock-jump':
        clockOf(fault.target)?.jump(fault.jumpMs ?? 0);
        later(() => undefined);
        break;
      case 'partition':
        network.partition(fault.target, fault.peer ?? '');
        later(() => network.heal(fault.target, fault.peer ?? ''));
        break;
      case 'shard-move':
        // A graceful leave: the host releases its shards and leaves the ring; the others take them over.
        void leave(fault.target);
        later(() => cluster.restart(fault.target));
        break;
      case 'join': {
        // Membership churn: a fourth history host joins, takes its share of the shards, and leaves again.
        const node = cluster.nodes.get(fault.target);
        if (node && !node.clock.dead) {
          later(() => undefined);
          break;
        }
        void cluster.start(fault.target, 'history');
        later(() => leave(fault.target));
        break;
      }
      case 'db-errors':
        storeFaults.faults = DB_ERRORS;
        later(() => {
          storeFaults.faults = HEALTHY_STORE;
        });
        break;
      case 'network-chaos':
        network.faults = NETWORK_CHAOS;
        later(() => {
          network.faults = CALM_NETWORK;
        });
        break;
      case 'worker-crash':
        workers.crash(fault.target);
        later(() => workers.start(fault.target));
        break;
    }
  };
  for (const fault of faults) base.setTimer(fault.atMs, () => apply(fault));
  return { active: () => active };
}
