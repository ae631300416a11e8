import type { Clock } from '../clock.js';
import type { HugoError } from '../result/error.js';
import '../sync/internal/dispose.js';
import type {
  TaskQueueItem,
  TaskQueueLifecycleEventKind,
  TaskQueueLifecycleFlag,
  TaskQueueLifecycleListener,
  TaskQueueOwnershipToken,
} from './types.js';

/** What an event adds to the item it is about. */
export interface LifecycleEventDetails {
  readonly token?: TaskQueueOwnershipToken | undefined;
  readonly error?: HugoError | undefined;
  /** Defaults to the clock's time. */
  readonly occurredAt?: number;
  readonly leaseExpiration?: number;
  readonly flags?: readonly TaskQueueLifecycleFlag[];
}

/**
 * A queue's lifecycle listeners (Hugo's lifecycle dispatcher). Events are delivered synchronously, in the order they
 * happen, with ids that increase by one; a listener that throws is ignored, as in Hugo. Nothing is built while
 * nobody listens.
 */
export class LifecycleEvents<T> {
  private readonly listeners = new Set<TaskQueueLifecycleListener<T>>();
  private eventId = 0;

  constructor(
    private readonly queueName: string,
    private readonly clock: Clock,
  ) {}

  /** Subscribes `listener`; dispose the returned handle to unsubscribe. */
  register(listener: TaskQueueLifecycleListener<T>): Disposable & { dispose(): void } {
    this.listeners.add(listener);
    const dispose = () => {
      this.listeners.delete(listener);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  publish(
    kind: TaskQueueLifecycleEventKind,
    item: TaskQueueItem<T>,
    details: LifecycleEventDetails = {},
  ): void {
    if (this.listeners.size === 0) return;
    this.eventId += 1;
    const event = Object.freeze({
      eventId: this.eventId,
      kind,
      queueName: this.queueName,
      sequenceId: item.sequenceId,
      attempt: item.attempt,
      occurredAt: details.occurredAt ?? this.clock.now(),
      enqueuedAt: item.enqueuedAt,
      value: item.value,
      error: details.error,
      ownershipToken: details.token ?? item.lastOwnershipToken,
      leaseExpiration: details.leaseExpiration,
      flags: Object.freeze([...(details.flags ?? [])]),
    });
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // Listener failures must not disrupt queue operations (Hugo swallows them too).
      }
    }
  }
}
