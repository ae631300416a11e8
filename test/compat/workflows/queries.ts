import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';

export const stateQuery = defineQuery<string>('state');
export const finishSignal = defineSignal('finish');

export async function queryable(): Promise<string> {
  let state = 'waiting';
  let finish = false;
  setHandler(stateQuery, () => state);
  setHandler(finishSignal, () => {
    finish = true;
  });
  await condition(() => finish);
  state = 'done';
  return state;
}
