import { echo, type PeerIdentity } from '@odin/api';
import { type Logger, withLogContext } from '@odin/runtime';
import type { RpcCall } from './handler-types.js';

/** What a call's log lines carry besides the frontend's own fields and the call's (its correlation id, its identity). */
export interface CallLogContext {
  readonly base: Logger;
  readonly traceId: string | undefined;
  readonly namespace: unknown;
}

/** The call's optional fields, each left off the call when undefined. */
export interface CallOptions {
  readonly deadline?: number | undefined;
  readonly identity?: string | undefined;
  readonly peer?: PeerIdentity | undefined;
}

/**
 * The call a handler serves (RpcCall). A class rather than an object literal: a literal with the logger's getter and
 * the optional fields spread into it is kept by V8 as a dictionary, ~0.5 µs to build on every call and slower to read
 * in every handler (docs/performance.md, twenty-ninth pass). The optional fields are set only when given, so they are
 * absent, not undefined, as before. The call's child logger is made when something logs: most calls never do, and a
 * pino child per call is measurable CPU on the hot path.
 */
export class FrontendCall implements RpcCall {
  readonly method: string;
  readonly correlationId: string;
  readonly signal: AbortSignal;
  declare readonly deadline?: number;
  declare readonly identity?: string;
  declare readonly peer?: PeerIdentity;
  readonly #log: CallLogContext;
  #logger: Logger | undefined;

  constructor(
    method: string,
    correlationId: string,
    signal: AbortSignal,
    options: CallOptions,
    log: CallLogContext,
  ) {
    this.method = method;
    this.correlationId = correlationId;
    this.signal = signal;
    if (options.deadline !== undefined) this.deadline = options.deadline;
    if (options.identity !== undefined) this.identity = options.identity;
    if (options.peer !== undefined) this.peer = options.peer;
    this.#log = log;
  }

  get logger(): Logger {
    this.#logger ??= callLogger(this, this.#log);
    return this.#logger;
  }

  /** The same call serving another method (a request the frontend hands to another method's handler). */
  as(method: string): FrontendCall {
    return new FrontendCall(method, this.correlationId, this.signal, this, this.#log);
  }
}

function callLogger(call: FrontendCall, { base, traceId, namespace }: CallLogContext): Logger {
  return withLogContext(base, {
    correlationId: call.correlationId,
    ...(traceId === undefined ? {} : { traceId }),
    // Bounded like error messages: a log line must not carry a 200k-character name the request made up.
    ...(typeof namespace === 'string' ? { namespace: echo(namespace) } : {}),
    ...(call.identity === undefined ? {} : { workerIdentity: echo(call.identity) }),
  });
}
