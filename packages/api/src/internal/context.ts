/** What every internal call carries: cancellation, the caller's deadline and the ids for logs. */
export interface CallContext {
  readonly signal: AbortSignal;
  /** Epoch ms by which the caller stops waiting (long polls answer empty before it). */
  readonly deadline?: number;
  readonly correlationId?: string;
  readonly identity?: string;
}

/**
 * `ctx` with another deadline. Only CallContext's own fields are copied: a caller may pass a richer object (the
 * frontend's call, whose logger is made by a getter on first use), and spreading it would run those getters on
 * every internal call.
 */
export function withDeadline(ctx: CallContext, deadline: number | undefined): CallContext {
  return {
    signal: ctx.signal,
    ...(deadline === undefined ? {} : { deadline }),
    ...(ctx.correlationId === undefined ? {} : { correlationId: ctx.correlationId }),
    ...(ctx.identity === undefined ? {} : { identity: ctx.identity }),
  };
}

/** A namespace as the frontend resolved it: every internal call is keyed by id, logs show the name. */
export interface NamespaceRef {
  readonly id: string;
  readonly name: string;
}
