import type { VirtualClock } from '@odin/hugo';
import type { SeededRandom } from '@odin/runtime';
import { ApplicationFailure, activityInfo, cancellationSignal, heartbeat, Worker } from '@odin/sdk';
import type { Network } from './network.js';
import { NodeClock } from './node-clock.js';
import { type FrontendTarget, SimConnection } from './sim-connection.js';
import type { Trace } from './trace.js';
import * as workflows from './workflows.js';

export const NAMESPACE = 'default';
export const TASK_QUEUE = 'sim';

const silentWorkerLogger = { warn() {}, error() {} };

/** The activities of the workload, on the worker process's clock (a hanging attempt sleeps on it). */
function activitiesFor(clock: NodeClock) {
  return {
    async step(index: number, failFirst: number, hangFirst: boolean): Promise<number> {
      const attempt = activityInfo().attempt;
      if (hangFirst && attempt === 1) await clock.sleep(60_000);
      if (attempt <= failFirst) throw ApplicationFailure.retryable(`step ${index} fails attempt ${attempt}`);
      return index + 1;
    },
    async waitForCancel(): Promise<number> {
      const cancelled = cancellationSignal();
      while (!cancelled.aborted) {
        heartbeat();
        await clock.sleep(1_000).catch(() => undefined);
      }
      throw cancelled.reason ?? new Error('cancelled');
    },
  };
}

interface SimWorker {
  readonly clock: NodeClock;
  readonly worker: Worker;
}

/** The `@odin/sdk` worker processes: each with its own clock and connection; a crash kills both, a restart is new. */
export class SimWorkers {
  readonly #workers = new Map<string, SimWorker>();

  constructor(
    private readonly base: VirtualClock,
    private readonly network: Network,
    private readonly random: SeededRandom,
    private readonly trace: Trace,
    private readonly frontendNode: string,
    private readonly frontend: () => FrontendTarget | undefined,
  ) {}

  clockOf(name: string): NodeClock | undefined {
    return this.#workers.get(name)?.clock;
  }

  async start(name: string): Promise<void> {
    const clock = new NodeClock(this.base);
    const connection = new SimConnection({ name, clock }, this.network, this.frontendNode, this.frontend);
    const worker = await Worker.create({
      connection: connection.asConnection(),
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      workflows,
      activities: activitiesFor(clock),
      identity: name,
      clock,
      logger: silentWorkerLogger,
      cacheMemoryPressure: () => false,
      shutdownGraceMs: 1_000,
    });
    // The SDK names its sticky queue with a random UUID; a simulated worker's must follow from the seed.
    (worker as unknown as { stickyTaskQueue: string }).stickyTaskQueue =
      `${name}-sticky-${this.random.int(1e9)}`;
    this.#workers.set(name, { clock, worker });
    this.network.up(name);
    this.trace.add(this.base.now(), `start worker ${name}`);
    void worker.run().catch(() => undefined);
  }

  crash(name: string): void {
    const w = this.#workers.get(name);
    if (!w || w.clock.dead) return;
    this.trace.add(this.base.now(), `crash worker ${name}`);
    w.clock.kill();
    this.network.down(name);
  }

  killAll(): void {
    for (const w of this.#workers.values()) w.clock.kill();
  }
}
