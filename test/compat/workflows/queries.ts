import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';

export const stateQuery = defineQuery<string>('state');
export const finishSignal = defineSignal('finish');
/** Answers a string of `length` characters (the blob size limit's scenario). */
export const sizedQuery = defineQuery<string, [number]>('sized');

export async function queryable(): Promise<string> {
  let state = 'waiting';
  let finish = false;
  setHandler(stateQuery, () => state);
  setHandler(sizedQuery, (length) => 'x'.repeat(length));
  setHandler(finishSignal, () => {
    finish = true;
  });
  await condition(() => finish);
  state = 'done';
  return state;
}
