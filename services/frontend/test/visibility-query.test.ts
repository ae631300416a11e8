import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceError } from '@odin/api';
import { parseVisibilityQuery } from '../src/visibility-query.js';

describe('parseVisibilityQuery', () => {
  test('an empty query lists everything', () => {
    assert.deepEqual(parseVisibilityQuery(''), {});
    assert.deepEqual(parseVisibilityQuery(undefined), {});
  });

  test('reads the three supported fields joined by AND in any case of AND', () => {
    assert.deepEqual(
      parseVisibilityQuery(
        `WorkflowId = 'order-1' and WorkflowType="Ship" AND ExecutionStatus = 'Completed'`,
      ),
      { workflowId: 'order-1', workflowType: 'Ship', status: 2 },
    );
  });

  test('status names follow Temporal spelling', () => {
    assert.equal(parseVisibilityQuery(`ExecutionStatus='ContinuedAsNew'`).status, 6);
    assert.equal(parseVisibilityQuery(`ExecutionStatus='TimedOut'`).status, 7);
    assert.equal(parseVisibilityQuery(`ExecutionStatus='Running'`).status, 1);
  });

  test('a backslash escapes a quote inside a value', () => {
    assert.equal(parseVisibilityQuery(`WorkflowId = 'it\\'s'`).workflowId, "it's");
  });

  const refused: [string, RegExp][] = [
    [`WorkflowId = 'a' OR WorkflowId = 'b'`, /expected AND/],
    [`StartTime > '2020-01-01'`, /only "=" comparisons/],
    [`CustomKeyword = 'x'`, /unsupported field CustomKeyword/],
    [`WorkflowId = 'a' AND WorkflowId = 'b'`, /WorkflowId appears twice/],
    [`ExecutionStatus = 'Sleeping'`, /unknown ExecutionStatus 'Sleeping'/],
    [`WorkflowId = 'open`, /unterminated string/],
    [`WorkflowId = x`, /expected a quoted value/],
    [`WorkflowId = 'a' ORDER BY StartTime`, /expected AND/],
    [`(WorkflowId = 'a')`, /unexpected "\("/],
  ];
  for (const [query, message] of refused) {
    test(`refuses ${query}`, () => {
      assert.throws(
        () => parseVisibilityQuery(query),
        (error: unknown) => error instanceof ServiceError && error.code === 3 && message.test(error.message),
      );
    });
  }
});
