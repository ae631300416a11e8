import { DatabaseUnavailableError, type PersistenceStore } from '@odin/persistence';
import type { SeededRandom } from '@odin/runtime';
import type { NodeClock } from './node-clock.js';
import type { Trace } from './trace.js';

/** How the database misbehaves for commits while faults are on; rates are per commit. */
export interface StoreFaults {
  /** The commit fails and writes nothing. */
  readonly commitFailRate: number;
  /** The commit is written, then the caller sees an error (the acknowledgement was lost). */
  readonly lostAckRate: number;
  /** The commit waits 1..slowMaxMs virtual milliseconds first. */
  readonly slowRate: number;
  readonly slowMaxMs: number;
}

export const HEALTHY_STORE: StoreFaults = { commitFailRate: 0, lostAckRate: 0, slowRate: 0, slowMaxMs: 0 };

/** The writes whose outcome the engine must survive not knowing: every commit of workflow state and task rows. */
const FAULTY_WRITES: ReadonlySet<string> = new Set([
  'executions.commitShardBatch',
  'executions.commitShardBatches',
  'executions.createWorkflowExecution',
  'executions.updateWorkflowExecution',
  'matching.createMatchingTasks',
  'matching.completeMatchingTasks',
]);

/** Which runs a commit touches, for the trace: `create:<workflow id>` / `update:<workflow id>:<status>`. */
function describeCommit(args: unknown[]): string {
  type T = {
    kind: string;
    execution?: { workflowId: string };
    key?: { workflowId: string };
    status?: number;
  };
  const batches = (Array.isArray(args[0]) ? args[0] : [{ transitions: args[1] }]) as { transitions?: T[] }[];
  const parts: string[] = [];
  for (const batch of batches) {
    for (const t of batch.transitions ?? []) {
      parts.push(
        t.kind === 'create' ? `create:${t.execution?.workflowId}` : `update:${t.key?.workflowId}:${t.status}`,
      );
    }
  }
  return parts.join(',');
}

export interface StoreFaultControl {
  faults: StoreFaults;
  /** The highest range each shard was acquired at, as far as any acquirer has been told. */
  readonly acquired: Map<number, number>;
  /** Commits the database accepted although their fence was already stale when they were sent. */
  readonly staleWrites: string[];
}

/** The fences of a commit call: commitShardBatch(fence, …) or commitShardBatches([{fence, …}]). */
function fencesOf(name: string, args: unknown[]): { shardId: number; rangeId: number }[] {
  if (name === 'executions.commitShardBatches')
    return (args[0] as { fence: { shardId: number; rangeId: number } }[]).map((b) => b.fence);
  if (name.startsWith('executions.') && name !== 'executions.getExecution') {
    const fence = args[0] as { shardId?: number; rangeId?: number } | undefined;
    if (typeof fence?.shardId === 'number' && typeof fence.rangeId === 'number')
      return [{ shardId: fence.shardId, rangeId: fence.rangeId }];
  }
  return [];
}

const URL = 'sqlite::memory:';

/**
 * One simulated process's connection to the shared database: every call waits while the process is paused and fails
 * once it is dead (a killed process writes nothing more), and the commits in FAULTY_WRITES fail, slow down or lose
 * their acknowledgement as the seeded random source decides. The database itself is shared and survives crashes.
 */
export function faultyStore(
  store: PersistenceStore,
  node: { readonly name: string; readonly clock: NodeClock },
  control: StoreFaultControl,
  random: SeededRandom,
  trace: Trace,
): PersistenceStore {
  const wrapPart = (partName: string, part: object): object =>
    new Proxy(part, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const name = `${partName}.${property}`;
        return async (...args: unknown[]) => {
          await node.clock.running();
          if (node.clock.dead) throw new DatabaseUnavailableError(URL, 'process is dead');
          const faults = control.faults;
          if (FAULTY_WRITES.has(name)) {
            if (faults.slowRate > 0 && random.next() < faults.slowRate) {
              const ms = 1 + random.int(Math.max(1, faults.slowMaxMs));
              trace.add(node.clock.now(), `${node.name} db ${name} slow ${ms}`);
              await node.clock.sleep(ms);
              await node.clock.running();
              if (node.clock.dead) throw new DatabaseUnavailableError(URL, 'process is dead');
            }
            if (faults.commitFailRate > 0 && random.next() < faults.commitFailRate) {
              trace.add(node.clock.now(), `${node.name} db ${name} fail ${describeCommit(args)}`);
              throw new DatabaseUnavailableError(URL, 'simulated commit failure');
            }
          }
          // A fence older than a range some acquirer was already told about cannot be current in the database:
          // the store must refuse the commit (checked below).
          const stale = fencesOf(name, args).filter(
            (f) => (control.acquired.get(f.shardId) ?? 0) > f.rangeId,
          );
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (name === 'shards.acquireShard') {
            const lease = result as { shardId: number; rangeId: number };
            control.acquired.set(
              lease.shardId,
              Math.max(control.acquired.get(lease.shardId) ?? 0, lease.rangeId),
            );
          }
          for (const f of stale)
            control.staleWrites.push(
              `${node.name} ${name} on shard ${f.shardId} with range ${f.rangeId} was applied`,
            );
          if (node.clock.dead) throw new DatabaseUnavailableError(URL, 'process died during the call');
          if (FAULTY_WRITES.has(name) && faults.lostAckRate > 0 && random.next() < faults.lostAckRate) {
            trace.add(node.clock.now(), `${node.name} db ${name} lost-ack ${describeCommit(args)}`);
            throw new DatabaseUnavailableError(
              URL,
              'simulated lost acknowledgement (the commit was written)',
            );
          }
          return result;
        };
      },
    });
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'close') return async () => undefined;
      if (typeof property === 'string' && value && typeof value === 'object')
        return wrapPart(property, value);
      return value;
    },
  });
}
