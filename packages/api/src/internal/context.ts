/** What every internal call carries: cancellation, the caller's deadline and the ids for logs. */
export interface CallContext {
  readonly signal: AbortSignal;
  /** Epoch ms by which the caller stops waiting (long polls answer empty before it). */
  readonly deadline?: number;
  readonly correlationId?: string;
  readonly identity?: string;
}

/** A namespace as the frontend resolved it: every internal call is keyed by id, logs show the name. */
export interface NamespaceRef {
  readonly id: string;
  readonly name: string;
}
