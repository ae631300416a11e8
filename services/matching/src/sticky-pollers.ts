/** Matching refuses a sticky add when its queue has had no poller for this long (like Temporal). */
export const STICKY_POLLER_UNAVAILABLE_MS = 10_000;

interface StickyQueue {
  polling: number;
  lastSeen: number;
}

/**
 * Which sticky queues have a live worker: one polling now, or one whose last poll ended recently. A worker that
 * died stops polling, so its queue goes dead and history sends the run's tasks to the normal queue instead.
 */
export class StickyPollers {
  readonly #queues = new Map<string, StickyQueue>();

  pollStarted(key: string, now: number): void {
    const queue = this.#queues.get(key);
    if (queue) {
      queue.polling++;
      queue.lastSeen = now;
    } else {
      this.#queues.set(key, { polling: 1, lastSeen: now });
    }
  }

  pollEnded(key: string, now: number): void {
    const queue = this.#queues.get(key);
    if (!queue) return;
    queue.polling = Math.max(0, queue.polling - 1);
    queue.lastSeen = now;
  }

  /** The worker said it is leaving: its queue is dead now, whatever its polls still do. */
  forget(key: string): void {
    this.#queues.delete(key);
  }

  isKnown(key: string): boolean {
    return this.#queues.has(key);
  }

  isAlive(key: string, now: number): boolean {
    const queue = this.#queues.get(key);
    if (!queue) return false;
    if (queue.polling > 0 || now - queue.lastSeen <= STICKY_POLLER_UNAVAILABLE_MS) return true;
    // Dead queues are forgotten so a fleet of short-lived workers does not grow the map forever.
    this.#queues.delete(key);
    return false;
  }
}
