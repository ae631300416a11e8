import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceError } from '@odin/api';
import type { SearchAttributeType, VisibilityCondition } from '@odin/persistence';
import { MAX_IN_VALUES, MAX_QUERY_NESTING, parseVisibilityQuery } from '../src/visibility-query.js';

const CUSTOM: Record<string, SearchAttributeType> = {
  Kw: 'Keyword',
  Num: 'Int',
  Price: 'Double',
  Flag: 'Bool',
  When: 'Datetime',
  Tags: 'KeywordList',
  Notes: 'Text',
  'My-Attr': 'Keyword',
};
const typeOf = (name: string) => CUSTOM[name];
const where = (query: string) => parseVisibilityQuery(query, typeOf).condition;
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

const wf = (value: string): VisibilityCondition => ({ op: '=', attribute: { system: 'WorkflowId' }, value });

describe('the visibility query language', () => {
  test('an empty query (or only whitespace) has no condition', () => {
    assert.deepEqual(parseVisibilityQuery(''), {});
    assert.deepEqual(parseVisibilityQuery(undefined), {});
    assert.deepEqual(parseVisibilityQuery(' \n\t '), {});
  });

  test('every comparison operator, with <> for != and keywords in any case', () => {
    for (const [text, op] of [
      ['=', '='],
      ['!=', '!='],
      ['<>', '!='],
      ['<', '<'],
      ['<=', '<='],
      ['>', '>'],
      ['>=', '>='],
    ] as const) {
      assert.deepEqual(where(`Num ${text} 5`), { op, attribute: { custom: 'Num', type: 'Int' }, value: 5 });
    }
    assert.deepEqual(where(`Num in (1, 2, -3)`), {
      op: 'in',
      attribute: { custom: 'Num', type: 'Int' },
      values: [1, 2, -3],
    });
    assert.deepEqual(where(`Num NOT IN (1)`), {
      op: 'not in',
      attribute: { custom: 'Num', type: 'Int' },
      values: [1],
    });
    assert.deepEqual(where(`Price between 1.5 AND 2e3`), {
      op: 'between',
      attribute: { custom: 'Price', type: 'Double' },
      from: 1.5,
      to: 2000,
    });
    assert.deepEqual(where(`Price NOT BETWEEN -1 and .5`), {
      op: 'not between',
      attribute: { custom: 'Price', type: 'Double' },
      from: -1,
      to: 0.5,
    });
    assert.deepEqual(where(`WorkflowId STARTS_WITH 'order-'`), {
      op: 'starts_with',
      attribute: { system: 'WorkflowId' },
      prefix: 'order-',
    });
    assert.deepEqual(where(`WorkflowId not starts_with "x"`), {
      op: 'not starts_with',
      attribute: { system: 'WorkflowId' },
      prefix: 'x',
    });
    assert.deepEqual(where(`ParentWorkflowId IS NULL`), {
      op: 'is null',
      attribute: { system: 'ParentWorkflowId' },
    });
    assert.deepEqual(where(`Kw is not null`), {
      op: 'is not null',
      attribute: { custom: 'Kw', type: 'Keyword' },
    });
  });

  test('AND binds tighter than OR; parentheses and NOT regroup; NOT NOT cancels', () => {
    assert.deepEqual(where(`WorkflowId = 'a' OR WorkflowId = 'b' AND WorkflowId = 'c'`), {
      op: 'or',
      operands: [wf('a'), { op: 'and', operands: [wf('b'), wf('c')] }],
    });
    assert.deepEqual(where(`(WorkflowId = 'a' OR WorkflowId = 'b') AND WorkflowId = 'c'`), {
      op: 'and',
      operands: [{ op: 'or', operands: [wf('a'), wf('b')] }, wf('c')],
    });
    assert.deepEqual(where(`NOT WorkflowId = 'a' AND WorkflowId = 'b'`), {
      op: 'and',
      operands: [{ op: 'not', operand: wf('a') }, wf('b')],
    });
    assert.deepEqual(where(`not (WorkflowId = 'a' or WorkflowId = 'b')`), {
      op: 'not',
      operand: { op: 'or', operands: [wf('a'), wf('b')] },
    });
    assert.deepEqual(where(`NOT NOT WorkflowId = 'a'`), wf('a'));
  });

  test('strings: either quote, doubled quotes and backslash escapes; names plain or back-quoted', () => {
    assert.deepEqual(where(`WorkflowId = 'it''s'`), wf("it's"));
    assert.deepEqual(where(`WorkflowId = 'it\\'s'`), wf("it's"));
    assert.deepEqual(where(`WorkflowId = "say ""hi"""`), wf('say "hi"'));
    assert.deepEqual(where(`WorkflowId = 'a\\nb\\\\c'`), wf('a\nb\\c'));
    assert.deepEqual(where("`WorkflowId` = 'a'"), wf('a'));
    assert.deepEqual(where("`My-Attr` = 'x'"), {
      op: '=',
      attribute: { custom: 'My-Attr', type: 'Keyword' },
      value: 'x',
    });
    // What looks like SQL inside a string is a value.
    assert.deepEqual(
      where(`WorkflowId = 'x''; DROP TABLE visibility_records; --'`),
      wf("x'; DROP TABLE visibility_records; --"),
    );
    assert.deepEqual(where(`WorkflowId = '/* c */ OR 1=1 -- ʼ＇'`), wf('/* c */ OR 1=1 -- ʼ＇'));
  });

  test("values take each type's forms: datetimes, status names and numbers, durations, booleans", () => {
    assert.deepEqual(where(`StartTime > '2024-01-02T03:04:05.123456789Z'`), {
      op: '>',
      attribute: { system: 'StartTime' },
      value: ns('2024-01-02T03:04:05.123Z') + 456_789n,
    });
    assert.deepEqual(where(`CloseTime <= '2024-01-02T05:04:05+02:00'`), {
      op: '<=',
      attribute: { system: 'CloseTime' },
      value: ns('2024-01-02T03:04:05Z'),
    });
    assert.deepEqual(where(`When = 1704164645000000000`), {
      op: '=',
      attribute: { custom: 'When', type: 'Datetime' },
      value: 1704164645000000000n,
    });
    for (const form of [`'Running'`, `'running'`, `'WORKFLOW_EXECUTION_STATUS_RUNNING'`, '1']) {
      assert.deepEqual(where(`ExecutionStatus = ${form}`), {
        op: '=',
        attribute: { system: 'ExecutionStatus' },
        value: 1,
      });
    }
    assert.deepEqual(where(`ExecutionStatus = 'TimedOut'`), {
      op: '=',
      attribute: { system: 'ExecutionStatus' },
      value: 7,
    });
    const duration = (text: string) => (where(`ExecutionDuration > ${text}`) as { value: bigint }).value;
    assert.equal(duration(`'1h30m'`), 5_400_000_000_000n);
    assert.equal(duration(`'2d'`), 172_800_000_000_000n);
    assert.equal(duration(`'300ms'`), 300_000_000n);
    assert.equal(duration(`'01:02:03'`), 3_723_000_000_000n);
    assert.equal(duration('1500'), 1500n);
    assert.equal(duration(`'1500'`), 1500n);
    assert.deepEqual(where(`Flag = TRUE`), {
      op: '=',
      attribute: { custom: 'Flag', type: 'Bool' },
      value: true,
    });
    assert.deepEqual(where(`Tags = 'a'`), {
      op: '=',
      attribute: { custom: 'Tags', type: 'KeywordList' },
      value: 'a',
    });
    assert.deepEqual(where(`Notes != 'quick fox'`), {
      op: '!=',
      attribute: { custom: 'Notes', type: 'Text' },
      value: 'quick fox',
    });
  });

  test('ExecutionStatus compares by name: ranges and prefixes become the list of statuses they select', () => {
    assert.deepEqual(where(`ExecutionStatus STARTS_WITH 'C'`), {
      op: 'in',
      attribute: { system: 'ExecutionStatus' },
      values: [2, 4, 6],
    });
    assert.deepEqual(where(`ExecutionStatus < 'Failed'`), {
      op: 'in',
      attribute: { system: 'ExecutionStatus' },
      values: [2, 4, 6],
    });
    assert.deepEqual(where(`ExecutionStatus NOT BETWEEN 'Running' AND 'TimedOut'`), {
      op: 'not in',
      attribute: { system: 'ExecutionStatus' },
      values: [1, 5, 7],
    });
  });

  test('GROUP BY ExecutionStatus is for counts only; ORDER BY and LIMIT are refused as Temporal SQL does', () => {
    assert.deepEqual(
      parseVisibilityQuery(`WorkflowType = 'T' GROUP BY ExecutionStatus`, typeOf, { count: true }),
      {
        groupBy: 'ExecutionStatus',
        condition: { op: '=', attribute: { system: 'WorkflowType' }, value: 'T' },
      },
    );
    assert.deepEqual(parseVisibilityQuery(`group by ExecutionStatus`, typeOf, { count: true }), {
      groupBy: 'ExecutionStatus',
    });
  });

  const refused: [string, RegExp, { count: boolean }?][] = [
    [`WorkflowId = 'a' ORDER BY StartTime DESC`, /operation is not supported: 'ORDER BY' clause/],
    [`ORDER BY StartTime`, /'ORDER BY' clause/],
    [`WorkflowId = 'a' LIMIT 10`, /'LIMIT' clause/],
    [`WorkflowId = 'a' GROUP BY ExecutionStatus`, /'GROUP BY' clause$/],
    [`GROUP BY WorkflowType`, /only supported for ExecutionStatus/, { count: true }],
    [`GROUP BY ExecutionStatus, WorkflowType`, /supports only a single field/, { count: true }],
    [`Nope = 'x'`, /column name 'Nope' is not a valid search attribute/],
    [`WorkflowId = x`, /did you forget to quote 'x'\?/],
    [`WorkflowId LIKE 'a%'`, /invalid operator 'like'/],
    [`WorkflowId NOT LIKE 'a%'`, /invalid operator 'not like'/],
    [`WorkflowId <=> 'a'`, /invalid operator '<=>'/],
    [`WorkflowId = 'open`, /malformed SQL query: syntax error at position 19 at the end of the query/],
    [`WorkflowId = 'a' AND`, /syntax error at position 21 at the end of the query/],
    [`(WorkflowId = 'a'`, /syntax error at position 18/],
    [`WorkflowId = 'a' OR OR WorkflowId = 'b'`, /syntax error at position 21 near 'OR WorkflowId/],
    [`WorkflowId = 'a'; DROP TABLE visibility_records`, /syntax error at position 17 near '; DROP TABLE/],
    [`WorkflowId = 'a' -- comment`, /syntax error at position 18/],
    [`WorkflowId = 'a' /* c */`, /syntax error at position 18/],
    [`WorkflowId = 'a\u0000'`, /NUL character at position 16/],
    [`Num = 'five'`, /invalid value type for search attribute Num of type Int: 'five'/],
    [`Kw = 5`, /invalid value type for search attribute Kw of type Keyword: 5/],
    [`Flag = 1`, /invalid value type for search attribute Flag of type Bool/],
    [`StartTime > '2024-13-01T00:00:00Z'`, /unable to parse datetime '2024-13-01T00:00:00Z'/],
    [`StartTime > '2024-01-01'`, /unable to parse datetime/],
    [`ExecutionStatus = 'Sleeping'`, /invalid ExecutionStatus value 'Sleeping'/],
    [`ExecutionDuration > 'soon'`, /invalid duration value for search attribute ExecutionDuration/],
    [`Tags > 'a'`, /operator '>' not supported for KeywordList type search attribute 'Tags'/],
    [`Tags STARTS_WITH 'a'`, /operator 'starts_with' not supported for KeywordList/],
    [`Notes IN ('a')`, /operator 'in' not supported for Text type search attribute 'Notes'/],
    [`Notes = '  ?! '`, /no tokens found filtering on Text type search attribute Notes/],
    [`Flag BETWEEN true AND false`, /cannot do range condition on search attribute 'Flag' of type Bool/],
    [`Num STARTS_WITH '1'`, /operator 'starts_with' not supported for Int type search attribute 'Num'/],
    [`WorkflowId STARTS_WITH 5`, /must be a literal string/],
    [`WorkflowId = NULL`, /IS NULL or IS NOT NULL/],
  ];
  for (const [query, message, options] of refused) {
    test(`refuses ${JSON.stringify(query)}`, () => {
      assert.throws(
        () => parseVisibilityQuery(query, typeOf, options),
        (error: unknown) =>
          error instanceof ServiceError &&
          error.code === 3 &&
          error.message.startsWith('invalid query: ') &&
          message.test(error.message),
      );
    });
  }

  test('bounds: nesting depth, IN list length, total values, query length', () => {
    const nested = (depth: number) => `${'('.repeat(depth)}WorkflowId = 'a'${')'.repeat(depth)}`;
    assert.deepEqual(where(nested(MAX_QUERY_NESTING)), wf('a'));
    assert.throws(() => where(nested(MAX_QUERY_NESTING + 1)), /nested deeper than 50 at position 51/);
    assert.throws(() => where(nested(10_000)), /nested deeper than 50/);
    // Parentheses inside strings do not count.
    assert.deepEqual(where(`WorkflowId = '${'('.repeat(200)}'`), wf('('.repeat(200)));
    // A long NOT chain is no recursion.
    assert.deepEqual(where(`${'NOT '.repeat(2000)}WorkflowId = 'a'`), wf('a'));
    const list = (n: number) =>
      `WorkflowId IN (${Array.from({ length: n }, (_, i) => `'w${i}'`).join(', ')})`;
    assert.equal((where(list(MAX_IN_VALUES)) as { values: unknown[] }).values.length, MAX_IN_VALUES);
    assert.throws(() => where(list(MAX_IN_VALUES + 1)), /at most 1000 are taken/);
    const many = Array.from({ length: 6 }, () => list(1000)).join(' OR ');
    assert.throws(() => where(many), /at most|more than 5000 values/);
    assert.throws(() => where(`WorkflowId = '${'x'.repeat(40_000)}'`), /at most 32768 are taken/);
  });
});
