// Workflows for the end-to-end tests of child workflows, external signals/cancels and continue-as-new.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineSignal,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '../../src/workflow/index.js';

export async function echoChild(text: string): Promise<string> {
  const info = workflowInfo();
  return `${text} from ${info.workflowId} (parent ${info.parent?.workflowId})`;
}

export async function parentOfEcho(text: string): Promise<string> {
  const result = await executeChild(echoChild, {
    args: [text],
    workflowId: `${workflowInfo().workflowId}-child`,
  });
  return `parent got: ${result}`;
}

export async function failingChild(message: string): Promise<string> {
  throw ApplicationFailure.nonRetryable(message, 'ChildBroke');
}

export async function parentOfFailingChild(message: string): Promise<string> {
  try {
    await executeChild(failingChild, { args: [message], workflowId: `${workflowInfo().workflowId}-child` });
    return 'child succeeded';
  } catch (error) {
    if (!(error instanceof ChildWorkflowFailure)) throw error;
    const cause = error.cause;
    const causeText =
      cause instanceof ApplicationFailure
        ? `${cause.type}: ${cause.message}`
        : `other cause: ${String(cause)}`;
    return `${error.workflowType} ${error.workflowId} failed with ${causeText}`;
  }
}

/** Waits until cancelled; reports the cancellation by ending as cancelled. */
export async function waitingChild(): Promise<string> {
  await condition(() => false);
  return 'never';
}

export const childStarted = defineSignal<[]>('childStarted');

/**
 * Starts `waitingChild` in a non-cancellable scope — so cancelling this parent does not cancel the child through
 * the SDK's scope — then waits to be cancelled: only the server's parent-close policy can reach the child.
 */
export async function parentWithPolicy(policy: 'TERMINATE' | 'REQUEST_CANCEL' | 'ABANDON'): Promise<string> {
  await CancellationScope.nonCancellable(() =>
    startChild(waitingChild, { workflowId: `${workflowInfo().workflowId}-child`, parentClosePolicy: policy }),
  );
  await sleep('1 day');
  return 'slept a day';
}

/** Starts `waitingChild` in the root scope: cancelling the parent asks the child to cancel. */
export async function parentCancelsChildThroughScope(): Promise<string> {
  const child = await startChild(waitingChild, {
    workflowId: `${workflowInfo().workflowId}-child`,
    parentClosePolicy: 'ABANDON',
  });
  try {
    await child.result();
    return 'child completed';
  } catch (error) {
    if (error instanceof ChildWorkflowFailure && isCancellation(error.cause)) throw error.cause;
    throw error;
  }
}

export const poke = defineSignal<[string]>('poke');

/** Waits for `poke` and returns what it carried. */
export async function pokeTarget(): Promise<string> {
  let received: string | undefined;
  setHandler(poke, (from) => {
    received = from;
  });
  await condition(() => received !== undefined);
  return `poked by ${received}`;
}

export async function pokesAnother(targetId: string): Promise<string> {
  await getExternalWorkflowHandle(targetId).signal(poke, workflowInfo().workflowId);
  return 'signalled';
}

export async function pokesMissing(targetId: string): Promise<string> {
  try {
    await getExternalWorkflowHandle(targetId).signal(poke, 'nobody');
    return 'signalled';
  } catch (error) {
    return error instanceof ApplicationFailure ? `failed: ${error.type}` : `other: ${String(error)}`;
  }
}

export async function cancelsAnother(targetId: string): Promise<string> {
  await getExternalWorkflowHandle(targetId).cancel();
  return 'cancel requested';
}

export async function cancelsMissing(targetId: string): Promise<string> {
  try {
    await getExternalWorkflowHandle(targetId).cancel();
    return 'cancel requested';
  } catch (error) {
    return error instanceof ApplicationFailure ? `failed: ${error.type}` : `other: ${String(error)}`;
  }
}

export interface ChainResult {
  round: number;
  runIds: string[];
  continuedFrom: string[];
}

/** Continues as new until `round` reaches `last`, carrying each run's id and the run it continued from. */
export async function chain(round: number, last: number, trail: ChainResult): Promise<ChainResult> {
  const info = workflowInfo();
  const next: ChainResult = {
    round,
    runIds: [...trail.runIds, info.runId],
    continuedFrom: [...trail.continuedFrom, info.continuedFromExecutionRunId ?? ''],
  };
  if (round < last) await continueAsNew([round + 1, last, next]);
  return next;
}

/** Starts `pokeTarget` as a child, signals it through the child handle and returns the child's result. */
export async function parentSignalsChild(): Promise<string> {
  const child = await startChild(pokeTarget, { workflowId: `${workflowInfo().workflowId}-child` });
  await child.signal(poke.name, 'its parent');
  return await child.result();
}

/** Starts a child under an id that is already running: the start fails inside the workflow. */
export async function parentReusesRunningId(takenId: string): Promise<string> {
  try {
    await startChild(waitingChild, { workflowId: takenId });
    return 'started';
  } catch (error) {
    return error instanceof ApplicationFailure ? `failed: ${error.type}` : `other: ${String(error)}`;
  }
}

/** Cancels its own child through a scope, observes the cancellation as a child failure and carries on. */
export async function parentCancelsItsChild(): Promise<string> {
  const workflowId = `${workflowInfo().workflowId}-child`;
  let outcome = 'child not cancelled';
  await CancellationScope.cancellable(async () => {
    const child = await startChild(waitingChild, { workflowId });
    CancellationScope.current().cancel();
    try {
      await child.result();
    } catch (error) {
      if (error instanceof ChildWorkflowFailure && isCancellation(error.cause)) {
        outcome = `child ${error.workflowId} cancelled`;
      } else throw error;
    }
  });
  return outcome;
}
