/** What the activities did, in order, so the example (and its test) can show the compensations. */
export const ledger: string[] = [];
