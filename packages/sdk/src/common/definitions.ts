/** A signal: a name plus, for type checking only, its argument list. */
export interface SignalDefinition<Args extends unknown[] = []> {
  readonly type: 'signal';
  readonly name: string;
  /** Never set; carries the argument types. */
  readonly __args?: Args;
}

/** A query: a name plus, for type checking only, its result and argument types. */
export interface QueryDefinition<Ret = unknown, Args extends unknown[] = []> {
  readonly type: 'query';
  readonly name: string;
  readonly __ret?: Ret;
  readonly __args?: Args;
}

/** An update: a name plus, for type checking only, its result and argument types. */
export interface UpdateDefinition<Ret = unknown, Args extends unknown[] = []> {
  readonly type: 'update';
  readonly name: string;
  readonly __ret?: Ret;
  readonly __args?: Args;
}

export function defineUpdate<Ret = unknown, Args extends unknown[] = []>(
  name: string,
): UpdateDefinition<Ret, Args> {
  return { type: 'update', name };
}

export function defineSignal<Args extends unknown[] = []>(name: string): SignalDefinition<Args> {
  return { type: 'signal', name };
}

export function defineQuery<Ret = unknown, Args extends unknown[] = []>(
  name: string,
): QueryDefinition<Ret, Args> {
  return { type: 'query', name };
}

/** A workflow function: what a workflow module exports. */
// biome-ignore lint/suspicious/noExplicitAny: workflow arguments are whatever the author declares.
export type Workflow = (...args: any[]) => Promise<unknown>;

export type WorkflowResultType<W extends Workflow> = Awaited<ReturnType<W>>;

/** The registered type name of a workflow: its function name, or the string given. */
export function workflowTypeName(workflow: Workflow | string): string {
  if (typeof workflow === 'string') return workflow;
  if (!workflow.name)
    throw new TypeError('A workflow function must be named (its name is the workflow type)');
  return workflow.name;
}

export interface RetryPolicy {
  initialInterval?: number | string;
  backoffCoefficient?: number;
  maximumInterval?: number | string;
  /** 0 (the default) means unlimited. */
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}
