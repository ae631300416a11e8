import type { WorkflowServiceRequest } from '@odin/api';
import { ServiceError } from '@odin/api';
import type { Clock } from '@odin/hugo';

type Answer = WorkflowServiceRequest<'RespondQueryTaskCompletedRequest'>;

interface Waiting {
  resolve(answer: Answer): void;
  reject(error: unknown): void;
}

/** Queries waiting for a worker's answer, by query id; each waits at most until its caller's deadline. */
export class QueryWaiters {
  readonly #waiting = new Map<string, Waiting>();

  constructor(private readonly clock: Clock) {}

  isWaiting(queryId: string): boolean {
    return this.#waiting.has(queryId);
  }

  wait(queryId: string, deadline: number | undefined, signal: AbortSignal): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const done = () => {
        this.#waiting.delete(queryId);
        timer?.cancel();
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(ServiceError.canceled('The query was cancelled.'));
      };
      const timer =
        deadline === undefined
          ? undefined
          : this.clock.setTimer(deadline - this.clock.now(), () => {
              done();
              reject(ServiceError.deadlineExceeded('No worker answered the query before the deadline.'));
            });
      this.#waiting.set(queryId, {
        resolve: (answer) => {
          done();
          resolve(answer);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hands the worker's answer to the waiting query; false when nobody waits for it any more. */
  answer(queryId: string, answer: Answer): boolean {
    const waiting = this.#waiting.get(queryId);
    if (!waiting) return false;
    waiting.resolve(answer);
    return true;
  }

  rejectAll(error: unknown): void {
    for (const waiting of [...this.#waiting.values()]) waiting.reject(error);
  }
}
