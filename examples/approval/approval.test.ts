import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDevServer } from '../shared/dev-server.js';
import { runExample } from '../shared/environment.js';
import { approvalExample } from './example.js';

test('approval: the workflow waits for the approve signal, reports it by query and completes', async () => {
  const outcome = await withDevServer((address) => runExample(address, approvalExample));
  assert.deepEqual(outcome, {
    before: 'waiting for approval',
    after: 'approved by Grace',
    result: 'expense e-17 (250) approved by Grace',
  });
});
