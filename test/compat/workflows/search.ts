import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { condition, defineSignal, setHandler, upsertSearchAttributes } from '@temporalio/workflow';

const release = defineSignal('release');

export const LABELS = defineSearchAttributeKey('Labels', SearchAttributeType.KEYWORD_LIST);
export const AMOUNT = defineSearchAttributeKey('Amount', SearchAttributeType.INT);

/** Upserts typed search attributes (a list and an int), then waits for release. */
export async function labeller(labels: string[], amount: number): Promise<string> {
  let released = false;
  setHandler(release, () => {
    released = true;
  });
  upsertSearchAttributes([
    { key: LABELS, value: labels },
    { key: AMOUNT, value: amount },
  ]);
  await condition(() => released);
  return 'labelled';
}

/** Upserts an attribute no namespace registered: its workflow task fails with BAD_SEARCH_ATTRIBUTES. */
export async function badUpsert(): Promise<string> {
  upsertSearchAttributes({ NotRegistered: ['x'] });
  return 'unreachable';
}
