// Activity interceptors, modelled on the official SDK's ActivityInboundCallsInterceptor.
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import type { ActivityContext } from './context.js';

export interface ActivityExecuteInput {
  readonly args: unknown[];
  /** The headers the workflow scheduled the activity with (for a local activity, its outbound interceptors'). */
  readonly headers: Headers;
}

export interface ActivityInboundCallsInterceptor {
  execute?(
    input: ActivityExecuteInput,
    next: (input: ActivityExecuteInput) => Promise<unknown>,
  ): Promise<unknown>;
}

/** Called for each activity execution (local ones too), inside its context, for its interceptors. */
export type ActivityInterceptorsFactory = (context: ActivityContext) => {
  inbound?: ActivityInboundCallsInterceptor;
};

/** Runs `fn` with the arguments through the interceptors the factories make for `context`. */
export function executeWithInterceptors(
  factories: readonly ActivityInterceptorsFactory[],
  context: ActivityContext,
  fn: (...args: unknown[]) => unknown,
  input: ActivityExecuteInput,
): Promise<unknown> {
  const inbound = factories.flatMap((factory) => {
    const made = factory(context).inbound;
    return made ? [made] : [];
  });
  const execute = composeInterceptors(inbound, 'execute', (call) => Promise.resolve(fn(...call.args)));
  return execute(input);
}
