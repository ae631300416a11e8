// Visibility queries: every kind of condition over system and custom attributes, the list order and its cursor,
// GROUP BY ExecutionStatus, the search-attribute registry, and values built to break out of a SQL literal.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  type TypedSearchAttribute,
  type VisibilityAttribute,
  type VisibilityCondition,
  type VisibilityRecord,
  WorkflowStatus,
} from '../../src/contract.js';
import { parseRfc3339Nanos } from '../../src/visibility/datetime.js';
import { key, T0, uniqueId, visibility } from '../support/fixtures.js';
import type { SuiteContext } from './suite.js';

const sys = (system: string) => ({ system }) as VisibilityAttribute;
const custom = (name: string, type: TypedSearchAttribute['type']): VisibilityAttribute => ({
  custom: name,
  type,
});
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

const INJECTION = "it's'; DROP TABLE visibility_records; -- /* */";

export function defineVisibilityQueryCases(ctx: SuiteContext): void {
  describe('visibility queries', () => {
    const NS = uniqueId('vq-ns');
    const runs: Record<string, VisibilityRecord> = {};
    const add = (runId: string, workflowId: string, o: Partial<VisibilityRecord>) => {
      runs[runId] = visibility(key(workflowId, runId, NS), {
        rootWorkflowId: workflowId,
        rootRunId: runId,
        ...o,
      });
    };

    before(async () => {
      add('r1', 'order-1', {
        workflowType: 'Order',
        startTime: T0 + 1000,
        executionTime: T0 + 1000,
        historyLength: 5,
        historySizeBytes: 500,
        searchAttributes: {
          Kw: { type: 'Keyword', value: 'gold' },
          Num: { type: 'Int', value: 7 },
          Dbl: { type: 'Double', value: 1.5 },
          Flag: { type: 'Bool', value: true },
          When: { type: 'Datetime', value: '2024-01-02T03:04:05.123456Z' },
          Tags: { type: 'KeywordList', value: ['a', 'b'] },
          Notes: { type: 'Text', value: 'Quick brown fox' },
        },
      });
      add('r2', 'order-2', {
        workflowType: 'Order',
        status: WorkflowStatus.COMPLETED,
        startTime: T0 + 2000,
        executionTime: T0 + 2000,
        closeTime: T0 + 9000,
        historyLength: 10,
        searchAttributes: {
          Kw: { type: 'Keyword', value: 'silver' },
          Num: { type: 'Int', value: -3 },
          Tags: { type: 'KeywordList', value: ['b'] },
          Notes: { type: 'Text', value: 'lazy DOG' },
        },
      });
      add('r3', "o'brien", {
        workflowType: 'Ship',
        status: WorkflowStatus.FAILED,
        startTime: T0 + 3000,
        executionTime: T0 + 3000,
        closeTime: T0 + 8000,
        parentWorkflowId: 'order-1',
        parentRunId: 'r1',
        rootWorkflowId: 'order-1',
        rootRunId: 'r1',
        searchAttributes: {
          Kw: { type: 'Keyword', value: INJECTION },
          Num: { type: 'Int', value: 100 },
        },
      });
      add('r4', 'ünïcødé-ß-🚀', { workflowType: 'Ship', startTime: T0 + 4000, executionTime: T0 + 4000 });
      add('r5', 'order-5%_!', {
        workflowType: 'Order',
        status: WorkflowStatus.TERMINATED,
        startTime: T0 + 5000,
        executionTime: T0 + 5000,
        closeTime: T0 + 7000,
        searchAttributes: {
          Flag: { type: 'Bool', value: false },
          Dbl: { type: 'Double', value: 2.5e10 },
          // Written as Int: a query on Kw (registered Keyword) must not see it.
          Kw: { type: 'Int', value: 5 },
        },
      });
      await ctx.store.visibility.upsertVisibility(Object.values(runs));
    });

    /** Run ids the condition lists, in list order. */
    const list = async (condition: VisibilityCondition): Promise<string[]> => {
      const page = await ctx.store.visibility.listVisibility(NS, { condition }, { pageSize: 100 });
      return page.items.map((r) => r.runId);
    };
    const sorted = async (condition: VisibilityCondition) => (await list(condition)).sort();

    test('system attributes: comparisons, IN, BETWEEN, STARTS_WITH, IS NULL, in every combination', async () => {
      assert.deepEqual(await sorted({ op: '=', attribute: sys('WorkflowType'), value: 'Order' }), [
        'r1',
        'r2',
        'r5',
      ]);
      assert.deepEqual(await sorted({ op: '!=', attribute: sys('WorkflowType'), value: 'Order' }), [
        'r3',
        'r4',
      ]);
      assert.deepEqual(
        await sorted({
          op: 'in',
          attribute: sys('ExecutionStatus'),
          values: [WorkflowStatus.COMPLETED, WorkflowStatus.TERMINATED],
        }),
        ['r2', 'r5'],
      );
      assert.deepEqual(
        await sorted({ op: 'not in', attribute: sys('ExecutionStatus'), values: [WorkflowStatus.RUNNING] }),
        ['r2', 'r3', 'r5'],
      );
      assert.deepEqual(
        await sorted({ op: 'between', attribute: sys('StartTime'), from: ns(T0 + 2000), to: ns(T0 + 4000) }),
        ['r2', 'r3', 'r4'],
      );
      assert.deepEqual(
        await sorted({
          op: 'not between',
          attribute: sys('StartTime'),
          from: ns(T0 + 2000),
          to: ns(T0 + 4000),
        }),
        ['r1', 'r5'],
      );
      // Nanoseconds between two stored milliseconds: > rounds down, >= up, = never holds.
      assert.deepEqual(await sorted({ op: '>', attribute: sys('StartTime'), value: ns(T0 + 4000) + 1n }), [
        'r5',
      ]);
      assert.deepEqual(await sorted({ op: '>=', attribute: sys('StartTime'), value: ns(T0 + 4000) - 1n }), [
        'r4',
        'r5',
      ]);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('StartTime'), value: ns(T0 + 4000) + 1n }), []);
      assert.deepEqual(await sorted({ op: '!=', attribute: sys('StartTime'), value: ns(T0 + 4000) + 1n }), [
        'r1',
        'r2',
        'r3',
        'r4',
        'r5',
      ]);
      assert.deepEqual(await sorted({ op: '>=', attribute: sys('HistoryLength'), value: 10 }), ['r2']);
      assert.deepEqual(await sorted({ op: '>', attribute: sys('HistoryLength'), value: 4.5 }), ['r1', 'r2']);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('HistoryLength'), value: 4.5 }), []);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('HistorySizeBytes'), value: 500 }), ['r1']);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('ParentWorkflowId'), value: 'order-1' }), [
        'r3',
      ]);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('RootRunId'), value: 'r1' }), ['r1', 'r3']);
      assert.deepEqual(await sorted({ op: 'is not null', attribute: sys('ParentRunId') }), ['r3']);
      assert.deepEqual(await sorted({ op: 'is null', attribute: sys('ParentRunId') }), [
        'r1',
        'r2',
        'r4',
        'r5',
      ]);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('WorkflowId'), value: 'ünïcødé-ß-🚀' }), [
        'r4',
      ]);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('WorkflowId'), value: "o'brien" }), ['r3']);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('RunId'), value: 'r2' }), ['r2']);
      assert.deepEqual(await sorted({ op: '=', attribute: sys('TaskQueue'), value: 'orders' }), [
        'r1',
        'r2',
        'r3',
        'r4',
        'r5',
      ]);
    });

    test('STARTS_WITH is a case-sensitive prefix whose %, _, !, * and ? are plain characters', async () => {
      const sw = (prefix: string) => sorted({ op: 'starts_with', attribute: sys('WorkflowId'), prefix });
      assert.deepEqual(await sw('order-'), ['r1', 'r2', 'r5']);
      assert.deepEqual(await sw('order-5%_!'), ['r5']);
      assert.deepEqual(await sw('order-_'), []);
      assert.deepEqual(await sw('order%'), []);
      assert.deepEqual(await sw('order-*'), []);
      assert.deepEqual(await sw('ORDER'), []);
      assert.deepEqual(await sw("o'"), ['r3']);
      assert.deepEqual(await sw('ünï'), ['r4']);
      assert.deepEqual(
        await sorted({ op: 'not starts_with', attribute: sys('WorkflowId'), prefix: 'order-' }),
        ['r3', 'r4'],
      );
      assert.deepEqual(
        await sorted({ op: 'starts_with', attribute: custom('Kw', 'Keyword'), prefix: 'go' }),
        ['r1'],
      );
    });

    test('CloseTime compares as Temporal SQL does: an open run closes after every moment; IS NULL means open', async () => {
      assert.deepEqual(await sorted({ op: '<', attribute: sys('CloseTime'), value: ns(T0 + 8500) }), [
        'r3',
        'r5',
      ]);
      assert.deepEqual(await sorted({ op: '>', attribute: sys('CloseTime'), value: ns(T0 + 8500) }), [
        'r1',
        'r2',
        'r4',
      ]);
      assert.deepEqual(await sorted({ op: 'is null', attribute: sys('CloseTime') }), ['r1', 'r4']);
      assert.deepEqual(await sorted({ op: 'is not null', attribute: sys('CloseTime') }), ['r2', 'r3', 'r5']);
      // ExecutionDuration: close minus execution time, in nanoseconds; unknown while open.
      assert.deepEqual(await sorted({ op: '>', attribute: sys('ExecutionDuration'), value: ns(4000) }), [
        'r2',
        'r3',
      ]);
      assert.deepEqual(
        await sorted({
          op: 'not',
          operand: { op: '>', attribute: sys('ExecutionDuration'), value: ns(4000) },
        }),
        ['r5'],
      );
    });

    test('AND, OR and NOT nest with SQL precedence and three-valued logic on unset attributes', async () => {
      const order: VisibilityCondition = { op: '=', attribute: sys('WorkflowType'), value: 'Order' };
      const open: VisibilityCondition = {
        op: '=',
        attribute: sys('ExecutionStatus'),
        value: WorkflowStatus.RUNNING,
      };
      const positive: VisibilityCondition = { op: '>', attribute: custom('Num', 'Int'), value: 0 };
      assert.deepEqual(await sorted({ op: 'and', operands: [order, open] }), ['r1']);
      assert.deepEqual(
        await sorted({
          op: 'or',
          operands: [
            { op: 'and', operands: [order, open] },
            { op: '=', attribute: sys('RunId'), value: 'r3' },
          ],
        }),
        ['r1', 'r3'],
      );
      assert.deepEqual(await sorted({ op: 'not', operand: { op: 'or', operands: [order, open] } }), ['r3']);
      assert.deepEqual(await sorted(positive), ['r1', 'r3']);
      // r4 and r5 have no Num: NOT (Num > 0) is unknown for them, as in SQL.
      assert.deepEqual(await sorted({ op: 'not', operand: positive }), ['r2']);
      assert.deepEqual(await sorted({ op: 'not', operand: { op: 'not', operand: positive } }), ['r1', 'r3']);
      assert.deepEqual(await sorted({ op: 'or', operands: [positive, { op: 'not', operand: positive }] }), [
        'r1',
        'r2',
        'r3',
      ]);
      // r4 is no Order, so the AND is FALSE whatever its Num: NOT makes it TRUE. r5's AND is unknown.
      assert.deepEqual(await sorted({ op: 'not', operand: { op: 'and', operands: [positive, order] } }), [
        'r2',
        'r3',
        'r4',
      ]);
      assert.deepEqual(await sorted({ op: 'is null', attribute: custom('Num', 'Int') }), ['r4', 'r5']);
      assert.deepEqual(
        await sorted({ op: 'not', operand: { op: 'is null', attribute: custom('Num', 'Int') } }),
        ['r1', 'r2', 'r3'],
      );
      // 60 levels of nesting compile and run.
      let deep: VisibilityCondition = open;
      for (let i = 0; i < 60; i++)
        deep = i % 2 === 0 ? { op: 'and', operands: [deep, order] } : { op: 'or', operands: [deep, open] };
      assert.deepEqual(await sorted(deep), ['r1', 'r4']);
    });

    test('custom attributes of every type', async () => {
      const q = (c: VisibilityCondition) => sorted(c);
      assert.deepEqual(await q({ op: '=', attribute: custom('Kw', 'Keyword'), value: 'gold' }), ['r1']);
      assert.deepEqual(await q({ op: '!=', attribute: custom('Kw', 'Keyword'), value: 'gold' }), [
        'r2',
        'r3',
      ]);
      assert.deepEqual(await q({ op: '>', attribute: custom('Kw', 'Keyword'), value: 'h' }), ['r2', 'r3']);
      assert.deepEqual(
        await q({ op: 'in', attribute: custom('Kw', 'Keyword'), values: ['gold', 'silver'] }),
        ['r1', 'r2'],
      );
      assert.deepEqual(await q({ op: 'between', attribute: custom('Num', 'Int'), from: -5, to: 7 }), [
        'r1',
        'r2',
      ]);
      assert.deepEqual(await q({ op: '<', attribute: custom('Num', 'Int'), value: 0.5 }), ['r2']);
      assert.deepEqual(await q({ op: '=', attribute: custom('Dbl', 'Double'), value: 1.5 }), ['r1']);
      assert.deepEqual(await q({ op: '>', attribute: custom('Dbl', 'Double'), value: 1e10 }), ['r5']);
      assert.deepEqual(await q({ op: '=', attribute: custom('Flag', 'Bool'), value: true }), ['r1']);
      assert.deepEqual(await q({ op: '=', attribute: custom('Flag', 'Bool'), value: false }), ['r5']);
      assert.deepEqual(await q({ op: '!=', attribute: custom('Flag', 'Bool'), value: true }), ['r5']);
      const when = parseRfc3339Nanos('2024-01-02T03:04:05.123456Z')!;
      assert.deepEqual(await q({ op: '=', attribute: custom('When', 'Datetime'), value: when }), ['r1']);
      assert.deepEqual(await q({ op: '=', attribute: custom('When', 'Datetime'), value: when + 1000n }), []);
      assert.deepEqual(await q({ op: '>', attribute: custom('When', 'Datetime'), value: when - 1n }), ['r1']);
      assert.deepEqual(await q({ op: '<', attribute: custom('When', 'Datetime'), value: when }), []);
      // KeywordList: = and IN mean "contains"; != and NOT IN "contains none", unknown when unset.
      assert.deepEqual(await q({ op: '=', attribute: custom('Tags', 'KeywordList'), value: 'b' }), [
        'r1',
        'r2',
      ]);
      assert.deepEqual(await q({ op: '!=', attribute: custom('Tags', 'KeywordList'), value: 'a' }), ['r2']);
      assert.deepEqual(
        await q({ op: 'in', attribute: custom('Tags', 'KeywordList'), values: ['a', 'zzz'] }),
        ['r1'],
      );
      assert.deepEqual(await q({ op: 'not in', attribute: custom('Tags', 'KeywordList'), values: ['a'] }), [
        'r2',
      ]);
      // Text: any token of the value among the attribute's tokens, ignoring case.
      assert.deepEqual(await q({ op: '=', attribute: custom('Notes', 'Text'), value: 'cat FOX' }), ['r1']);
      assert.deepEqual(await q({ op: '=', attribute: custom('Notes', 'Text'), value: 'dog' }), ['r2']);
      assert.deepEqual(await q({ op: '!=', attribute: custom('Notes', 'Text'), value: 'fox' }), ['r2']);
      // Rows written with another type than the one asked for are not seen (r5's Kw is an Int).
      assert.deepEqual(await q({ op: 'is not null', attribute: custom('Kw', 'Keyword') }), [
        'r1',
        'r2',
        'r3',
      ]);
      assert.deepEqual(await q({ op: 'is not null', attribute: custom('Kw', 'Int') }), ['r5']);
    });

    test('values built to end a SQL literal are only ever compared as values', async () => {
      // (A NUL character is refused before it gets here: PostgreSQL takes none in text.)
      const hostile = [
        INJECTION,
        "'",
        "''",
        '"',
        '\\',
        "\\'; DROP TABLE visibility_records; --",
        "x' OR '1'='1",
        '1; SELECT pg_sleep(5)',
        '/* */ OR 1=1 --',
        'ʼ OR 1=1 --', // U+02BC, a quote look-alike
        '＇ OR 1=1 --', // U+FF07, the full-width apostrophe
        '%',
        '_',
      ];
      for (const value of hostile) {
        const expected = value === INJECTION ? ['r3'] : [];
        assert.deepEqual(
          await sorted({ op: '=', attribute: custom('Kw', 'Keyword'), value }),
          expected,
          value,
        );
        assert.deepEqual(await sorted({ op: '=', attribute: sys('WorkflowId'), value }), [], value);
        assert.deepEqual(
          await sorted({ op: 'starts_with', attribute: sys('WorkflowType'), prefix: value }),
          [],
          value,
        );
        assert.deepEqual(await sorted({ op: '=', attribute: custom('Notes', 'Text'), value }), [], value);
      }
      assert.deepEqual(await sorted({ op: 'in', attribute: custom('Kw', 'Keyword'), values: hostile }), [
        'r3',
      ]);
      assert.equal(await ctx.store.visibility.countVisibility(NS, {}), 5, 'every table is still there');
    });

    test('a thousand-value IN list', async () => {
      const values = Array.from({ length: 1000 }, (_, i) => `order-${i}`);
      assert.deepEqual(await sorted({ op: 'in', attribute: sys('WorkflowId'), values }), ['r1', 'r2']);
      assert.deepEqual(await sorted({ op: 'not in', attribute: sys('WorkflowId'), values }), [
        'r3',
        'r4',
        'r5',
      ]);
    });

    test('list order and its cursor hold under a condition; counts group by ExecutionStatus', async () => {
      const condition: VisibilityCondition = { op: '!=', attribute: sys('RunId'), value: 'r2' };
      assert.deepEqual(await list(condition), ['r4', 'r1', 'r3', 'r5']);
      const seen: string[] = [];
      let pageToken: string | undefined;
      do {
        const page = await ctx.store.visibility.listVisibility(
          NS,
          { condition },
          { pageSize: 1, ...(pageToken ? { pageToken } : {}) },
        );
        seen.push(...page.items.map((r) => r.runId));
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
      assert.deepEqual(seen, ['r4', 'r1', 'r3', 'r5']);
      assert.equal(await ctx.store.visibility.countVisibility(NS, { condition }), 4);
      assert.deepEqual(await ctx.store.visibility.countVisibilityByStatus(NS, { condition }), [
        { status: WorkflowStatus.RUNNING, count: 2 },
        { status: WorkflowStatus.FAILED, count: 1 },
        { status: WorkflowStatus.TERMINATED, count: 1 },
      ]);
      assert.deepEqual(await ctx.store.visibility.countVisibilityByStatus(uniqueId('empty'), {}), []);
    });

    test('an upsert replaces the attribute rows; an older version does not; a delete removes them', async () => {
      const ns2 = uniqueId('vq-upsert');
      const k = key('wf', 'run', ns2);
      const kw = (value: string): VisibilityCondition => ({
        op: '=',
        attribute: custom('Kw', 'Keyword'),
        value,
      });
      const count = (c: VisibilityCondition) => ctx.store.visibility.countVisibility(ns2, { condition: c });
      await ctx.store.visibility.upsertVisibility([
        visibility(k, { stateVersion: 2, searchAttributes: { Kw: { type: 'Keyword', value: 'two' } } }),
      ]);
      await ctx.store.visibility.upsertVisibility([
        visibility(k, { stateVersion: 1, searchAttributes: { Kw: { type: 'Keyword', value: 'one' } } }),
      ]);
      assert.equal(await count(kw('two')), 1);
      assert.equal(await count(kw('one')), 0);
      await ctx.store.visibility.upsertVisibility([
        visibility(k, { stateVersion: 3, searchAttributes: { Kw: { type: 'Keyword', value: 'three' } } }),
      ]);
      assert.equal(await count(kw('two')), 0);
      assert.equal(await count(kw('three')), 1);
      await ctx.store.visibility.upsertVisibility([
        visibility(k, { stateVersion: 4, searchAttributes: null }),
      ]);
      assert.equal(await count({ op: 'is not null', attribute: custom('Kw', 'Keyword') }), 0);
      await ctx.store.visibility.upsertVisibility([
        visibility(k, { stateVersion: 5, searchAttributes: { Kw: { type: 'Keyword', value: 'five' } } }),
      ]);
      await ctx.store.visibility.deleteVisibility(ns2, 'run');
      await ctx.store.visibility.upsertVisibility([visibility(k, { stateVersion: 1 })]);
      assert.equal(await count({ op: 'is not null', attribute: custom('Kw', 'Keyword') }), 0);
    });

    test('the search-attribute registry: add (idempotent per name), list, list all, remove', async () => {
      const a = uniqueId('sa-ns-a');
      const b = uniqueId('sa-ns-b');
      const reg = ctx.store.searchAttributes;
      await reg.addSearchAttributes(
        a,
        [
          { name: 'Zeta', type: 'Int' },
          { name: 'Alpha', type: 'Keyword' },
        ],
        T0,
      );
      await reg.addSearchAttributes(
        a,
        [
          { name: 'Alpha', type: 'Text' },
          { name: 'Beta', type: 'KeywordList' },
        ],
        T0,
      );
      await reg.addSearchAttributes(b, [{ name: 'Alpha', type: 'Bool' }], T0);
      assert.deepEqual(await reg.listSearchAttributes(a), [
        { name: 'Alpha', type: 'Keyword' },
        { name: 'Beta', type: 'KeywordList' },
        { name: 'Zeta', type: 'Int' },
      ]);
      const all = (await reg.listAllSearchAttributes()).filter(
        (d) => d.namespaceId === a || d.namespaceId === b,
      );
      assert.equal(all.length, 4);
      await reg.removeSearchAttributes(a, ['Beta', 'Nope']);
      assert.deepEqual(
        (await reg.listSearchAttributes(a)).map((d) => d.name),
        ['Alpha', 'Zeta'],
      );
      assert.deepEqual(await reg.listSearchAttributes(b), [{ name: 'Alpha', type: 'Bool' }]);
    });
  });
}
