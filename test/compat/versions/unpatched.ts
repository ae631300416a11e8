// `versioned` changed without a patch: a timer where version 1 ran an activity, so replay of old runs diverges.
import { condition, defineSignal, setHandler, sleep } from '@temporalio/workflow';

export async function versioned(): Promise<string> {
  let released = false;
  setHandler(defineSignal('release'), () => {
    released = true;
  });
  await sleep(1);
  await condition(() => released);
  return 'timer';
}
