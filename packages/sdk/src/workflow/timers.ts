import { type Duration, durationMs } from '../common/duration.js';
import { CancelledFailure } from '../common/failure.js';
import { CancellationScope, type ScopeTimers } from './cancellation-scope.js';
import type { CommandBuffer, PendingCommand } from './command-buffer.js';
import { cancelTimerCommand, startTimerCommand } from './command-builders.js';
import { deferred, handled } from './deferred.js';
import { type EventEntries, recordedCommand } from './event-table.js';

interface PendingTimer {
  resolve(): void;
  cancel(): void;
}

/** The run's durable timers: StartTimer/CancelTimer commands, settled by TimerFired. */
export class Timers implements ScopeTimers {
  private seq = 0;
  private readonly pending = new Map<string, PendingTimer>();

  constructor(private readonly commands: CommandBuffer) {}

  /** A durable timer (StartTimer command), cancelled with `scope`. Zero or negative delays resolve without a command. */
  start(delay: Duration, scope: CancellationScope | undefined = CancellationScope.current()): Promise<void> {
    const ms = durationMs(delay);
    if (scope?.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    if (ms <= 0) return Promise.resolve();
    const timerId = String(++this.seq);
    const started: PendingCommand = this.commands.issue(startTimerCommand(timerId, ms));
    const { promise, resolve, reject } = deferred<void>();
    let unsubscribe = () => {};
    const cancel = (reason: unknown) => {
      if (!this.pending.delete(timerId)) return;
      unsubscribe();
      if (!this.commands.unsend(started)) this.commands.issue(cancelTimerCommand(timerId));
      reject(reason);
    };
    this.pending.set(timerId, {
      resolve: () => {
        unsubscribe();
        resolve();
      },
      cancel: () => cancel(new CancelledFailure('Timer cancelled')),
    });
    if (scope) unsubscribe = scope.onCancel((reason) => cancel(reason));
    return promise;
  }

  /** Cancels a timer by id (clearTimeout in workflow code); false when it already fired. */
  cancel(timerId: string): boolean {
    const timer = this.pending.get(timerId);
    if (!timer) return false;
    timer.cancel();
    return true;
  }

  /** The id the next timer will get (setTimeout handles expose it). */
  peekNextId(): string {
    return String(this.seq + 1);
  }

  private fired(timerId: string): void {
    const timer = this.pending.get(timerId);
    if (!timer) return;
    this.pending.delete(timerId);
    timer.resolve();
  }

  eventEntries(): EventEntries<
    'timerStartedEventAttributes' | 'timerFiredEventAttributes' | 'timerCanceledEventAttributes'
  > {
    return {
      timerStartedEventAttributes: recordedCommand,
      timerFiredEventAttributes: (attributes) => this.fired(attributes.timerId ?? ''),
      timerCanceledEventAttributes: recordedCommand,
    };
  }
}
