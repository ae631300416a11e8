import { composeInterceptors, type Headers } from '../common/interceptors.js';
import { fromPayloads, type PayloadConverter } from '../common/payload.js';
import type { WorkflowInboundCallsInterceptor } from './interceptors.js';
import { IllegalStateError } from './errors.js';
import type { EventEntries } from './event-table.js';

export type Handler = (...args: unknown[]) => unknown;

/**
 * The run's signal and query handlers. A signal that arrives before its handler is set waits in a buffer and is
 * delivered when the handler is set. Errors a signal handler throws (or rejects with) go to `fail`.
 */
export class SignalsAndQueries {
  private readonly signalHandlers = new Map<string, Handler>();
  private readonly buffered: { name: string; args: unknown[]; headers: Headers }[] = [];
  private readonly queryHandlers = new Map<string, Handler>();
  private running = 0;

  constructor(
    private readonly converter: PayloadConverter,
    private readonly fail: (error: unknown) => void,
    private readonly inbound: () => readonly WorkflowInboundCallsInterceptor[],
  ) {}

  /** Async signal handlers that have not finished yet. */
  get inFlight(): number {
    return this.running;
  }

  setSignalHandler(name: string, handler: Handler | undefined): void {
    if (!handler) {
      this.signalHandlers.delete(name);
      return;
    }
    this.signalHandlers.set(name, handler);
    for (let i = 0; i < this.buffered.length; ) {
      const signal = this.buffered[i]!;
      if (signal.name === name) {
        this.buffered.splice(i, 1);
        this.invoke(handler, signal.name, signal.args, signal.headers);
      } else i++;
    }
  }

  setQueryHandler(name: string, handler: Handler | undefined): void {
    if (handler) this.queryHandlers.set(name, handler);
    else this.queryHandlers.delete(name);
  }

  /** The handler of query `name`; throws naming the registered ones when there is none. */
  queryHandler(name: string, workflowType: string): Handler {
    const handler = this.queryHandlers.get(name);
    if (!handler) {
      const known = [...this.queryHandlers.keys()];
      throw new IllegalStateError(
        `Workflow ${workflowType} has no query handler for "${name}"; registered: ${known.join(', ') || '(none)'}`,
      );
    }
    return handler;
  }

  private signalled(name: string, args: unknown[], headers: Headers): void {
    const handler = this.signalHandlers.get(name);
    if (handler) this.invoke(handler, name, args, headers);
    else this.buffered.push({ name, args, headers });
  }

  private invoke(handler: Handler, signalName: string, args: unknown[], headers: Headers): void {
    const inbound = this.inbound();
    if (inbound.some((i) => i.handleSignal)) {
      const handle = composeInterceptors(inbound, 'handleSignal', async (input) => {
        await handler(...input.args);
      });
      this.track(handle({ signalName, args, headers }));
      return;
    }
    try {
      const outcome = handler(...args);
      if (outcome instanceof Promise) this.track(outcome);
    } catch (error) {
      this.fail(error);
    }
  }

  private track(outcome: Promise<unknown>): void {
    this.running++;
    outcome
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.running--;
      });
  }

  eventEntries(): EventEntries<'workflowExecutionSignaledEventAttributes'> {
    return {
      workflowExecutionSignaledEventAttributes: (a) =>
        this.signalled(a.signalName ?? '', fromPayloads(this.converter, a.input), a.header?.fields ?? {}),
    };
  }
}
