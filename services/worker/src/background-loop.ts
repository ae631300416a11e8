/**
 * The loop of a system worker (retention cleanup, schedules, batch operations): started once, ended by `stop()` or
 * by the signal given to `start()`; `stop()` resolves when the loop has returned.
 */
export class BackgroundLoop {
  readonly #stopping = new AbortController();
  #running: Promise<void> | undefined;

  constructor(private readonly body: (signal: AbortSignal) => Promise<void>) {}

  /** Aborted once the loop is asked to end. */
  get signal(): AbortSignal {
    return this.#stopping.signal;
  }

  start(signal?: AbortSignal): void {
    if (this.#running) return;
    signal?.addEventListener('abort', () => this.#stopping.abort(signal.reason), { once: true });
    if (signal?.aborted) this.#stopping.abort(signal.reason);
    this.#running = this.body(this.#stopping.signal);
  }

  /** Asks the loop to end (at once, before the first await) and waits for it. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }
}
