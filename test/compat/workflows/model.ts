// Workflows of the workflow-model scenarios: children, external handles, continue-as-new, cron, upserts, patches.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  defineSignal,
  deprecatePatch,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export const releaseSignal = defineSignal('release');
export const pokeSignal = defineSignal<[string]>('poke');

/** A child that answers, fails or waits until released (or cancelled), as its argument says. */
export async function modelChild(mode: 'answer' | 'fail' | 'wait', name: string): Promise<string> {
  if (mode === 'fail') throw ApplicationFailure.nonRetryable(`child ${name} failed`, 'ChildFailed');
  if (mode === 'wait') {
    let released = false;
    setHandler(releaseSignal, () => {
      released = true;
    });
    await condition(() => released);
  }
  return `child says hello to ${name}`;
}

/** Runs one child and reports what reached the parent: its result, its failure or its cancellation. */
export async function childOutcome(mode: 'answer' | 'fail' | 'cancel'): Promise<string> {
  const id = `${workflowInfo().workflowId}-child`;
  try {
    if (mode === 'cancel') {
      return await CancellationScope.cancellable(async () => {
        const child = await startChild(modelChild, {
          workflowId: id,
          args: ['wait', 'c'],
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        });
        CancellationScope.current().cancel();
        return await child.result();
      });
    }
    return await executeChild(modelChild, { workflowId: id, args: [mode, 'p'] });
  } catch (err) {
    if (isCancellation(err)) return 'child cancelled';
    const e = err as { name?: string; cause?: { message?: string; type?: string } };
    return `${e.name}: ${e.cause?.type ?? ''} ${e.cause?.message ?? ''}`.trim();
  }
}

/** Starts a waiting child under the given parent-close policy and returns once it runs. */
export async function closingParent(policy: 'TERMINATE' | 'ABANDON' | 'REQUEST_CANCEL'): Promise<string> {
  const child = await startChild(modelChild, {
    workflowId: `${workflowInfo().workflowId}-child`,
    args: ['wait', 'x'],
    parentClosePolicy: ParentClosePolicy[`PARENT_CLOSE_POLICY_${policy}`],
  });
  return child.firstExecutionRunId;
}

/** Starts a child with an id already in use; reports the start failure the parent got. */
export async function conflictingChild(takenId: string): Promise<string> {
  try {
    await startChild(modelChild, { workflowId: takenId, args: ['answer', 'y'] });
    return 'started';
  } catch (err) {
    return (err as Error).name;
  }
}

/** Signals or cancels another workflow by id; reports success or the failure's name. */
export async function externalCaller(action: 'signal' | 'cancel', targetId: string): Promise<string> {
  const target = getExternalWorkflowHandle(targetId);
  try {
    if (action === 'signal') await target.signal(pokeSignal, `from ${workflowInfo().workflowId}`);
    else await target.cancel();
    return 'ok';
  } catch (err) {
    const e = err as Error & { type?: string };
    return `${e.name} ${e.type ?? ''}: ${e.message}`;
  }
}

/** Waits for one poke signal, or for its cancellation. */
export async function pokeTarget(): Promise<string> {
  let poke: string | undefined;
  setHandler(pokeSignal, (from) => {
    poke = from;
  });
  try {
    await condition(() => poke !== undefined);
    return `poked ${poke}`;
  } catch (err) {
    if (isCancellation(err)) return 'cancelled';
    throw err;
  }
}

/** Continues as new until `remaining` reaches 0; the last run returns the sum and what carried over. */
export async function chain(remaining: number, total: number): Promise<string> {
  if (remaining > 0) await continueAsNew<typeof chain>(remaining - 1, total + remaining);
  const info = workflowInfo();
  const memo = JSON.stringify(info.memo ?? {});
  const attrs = JSON.stringify(info.searchAttributes ?? {});
  return `${total} ${memo} ${attrs}`;
}

/** One run of a cron workflow: returns its run id so the test can follow the runs. */
export async function cronTick(): Promise<string> {
  return workflowInfo().runId;
}

/** Upserts memo and search attributes, then waits for release so a test can read them while it runs. */
export async function upserter(): Promise<string> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  upsertMemo({ stage: 'upserted', owner: 'model' });
  upsertSearchAttributes({ CustomKeywordField: ['after'], CustomIntField: [7] });
  await condition(() => released);
  return 'done';
}

/** Version 2 of `versioned`: the timer replaced the activity behind a patch. */
export async function versioned(): Promise<string> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  let first: string;
  if (patched('timer-instead-of-activity')) {
    await sleep(1);
    first = 'timer';
  } else {
    first = await greet('v1');
  }
  await condition(() => released);
  return first;
}

/** Version 3: every run in flight took the patched path, so the patch is deprecated. */
export async function deprecatedVersioned(): Promise<string> {
  deprecatePatch('timer-instead-of-activity');
  await sleep(1);
  return 'timer';
}
