import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@odin/api';
import { compatSuite } from './harness.js';
import { eventually, grpcError } from './polling.js';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const ORDER_KEY = defineSearchAttributeKey('OrderKey', SearchAttributeType.KEYWORD);
const AMOUNT = defineSearchAttributeKey('Amount', SearchAttributeType.INT);
const RATIO = defineSearchAttributeKey('Ratio', SearchAttributeType.DOUBLE);
const URGENT = defineSearchAttributeKey('Urgent', SearchAttributeType.BOOL);
const DUE_AT = defineSearchAttributeKey('DueAt', SearchAttributeType.DATETIME);
const LABELS = defineSearchAttributeKey('Labels', SearchAttributeType.KEYWORD_LIST);
const SUMMARY = defineSearchAttributeKey('Summary', SearchAttributeType.TEXT);

const refusedWith = (message: RegExp) => (error: unknown) => {
  const { code, text } = grpcError(error);
  assert.equal(code, 3, `INVALID_ARGUMENT expected: ${text}`);
  assert.match(text, message);
  return true;
};

compatSuite('scenario 23: visibility queries and custom search attributes', (env) => {
  test('registered attributes are typed, filter lists and counts in the query language, and round-trip', async () => {
    const e = env();
    const operator = e.client.connection.operatorService;
    await operator.addSearchAttributes({
      namespace: 'default',
      searchAttributes: {
        OrderKey: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        Amount: IndexedValueType.INDEXED_VALUE_TYPE_INT,
        Ratio: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
        Urgent: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
        DueAt: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
        Labels: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
        Summary: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      },
    });
    const listed = await operator.listSearchAttributes({ namespace: 'default' });
    assert.equal(listed.customAttributes.OrderKey, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    assert.equal(listed.customAttributes.Labels, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    assert.equal(listed.customAttributes.CustomKeywordField, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    assert.equal(listed.systemAttributes.ExecutionStatus, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);

    const taskQueue = e.taskQueue('vis');
    const prefix = `vis-${taskQueue}`;
    const due = new Date('2031-05-06T07:08:09.123Z');
    await e.withWorker(taskQueue, async () => {
      const a = await e.client.workflow.start('labeller', {
        taskQueue,
        workflowId: `${prefix}-a`,
        args: [['red', 'blue'], 42],
        typedSearchAttributes: [
          { key: ORDER_KEY, value: "k'1" },
          { key: RATIO, value: 0.25 },
          { key: URGENT, value: true },
          { key: DUE_AT, value: due },
          { key: SUMMARY, value: 'Quick brown fox' },
        ],
      });
      const b = await e.client.workflow.start('labeller', {
        taskQueue,
        workflowId: `${prefix}-b`,
        args: [['green'], 7],
        typedSearchAttributes: [
          { key: ORDER_KEY, value: 'k2' },
          { key: URGENT, value: false },
          { key: SUMMARY, value: 'lazy dog' },
        ],
      });
      const c = await e.client.workflow.start('greeting', {
        taskQueue,
        workflowId: `${prefix}-c`,
        args: ['x'],
      });
      await c.result();

      const ids = async (query: string): Promise<string[]> => {
        const out: string[] = [];
        for await (const w of e.client.workflow.list({
          query: `WorkflowId STARTS_WITH '${prefix}' AND (${query})`,
        })) {
          out.push(w.workflowId.slice(prefix.length + 1));
        }
        return out.sort();
      };
      // The upserts land with each run's first workflow task.
      assert.deepEqual(
        await eventually(
          () => ids(`Labels = 'blue' OR Labels = 'green'`),
          (v) => v.length === 2,
        ),
        ['a', 'b'],
      );
      assert.deepEqual(await ids(`OrderKey = 'k''1'`), ['a']);
      assert.deepEqual(await ids(`Amount > 10 AND Urgent = true`), ['a']);
      assert.deepEqual(await ids(`Amount BETWEEN 1 AND 10`), ['b']);
      assert.deepEqual(await ids(`Ratio < 0.5`), ['a']);
      assert.deepEqual(await ids(`DueAt > '2031-05-06T07:08:09Z' AND DueAt <= '2031-05-06T07:08:09.123Z'`), [
        'a',
      ]);
      assert.deepEqual(await ids(`Labels IN ('red', 'purple')`), ['a']);
      assert.deepEqual(await ids(`Summary = 'FOX cat'`), ['a']);
      assert.deepEqual(await ids(`Summary != 'fox'`), ['b']);
      assert.deepEqual(await ids(`OrderKey IS NULL`), ['c']);
      assert.deepEqual(await ids(`ExecutionStatus = 'Running' AND NOT Urgent = true`), ['b']);
      assert.deepEqual(await ids(`ExecutionStatus IN ('Completed', 'Failed')`), ['c']);
      assert.deepEqual(await ids(`CloseTime IS NOT NULL OR OrderKey STARTS_WITH 'k2'`), ['b', 'c']);
      assert.deepEqual(await ids(`WorkflowType = 'labeller' AND HistoryLength >= 3`), ['a', 'b']);
      assert.deepEqual(await ids(`ExecutionDuration >= 0`), ['c']);
      // A value made to end the SQL literal is only a value.
      assert.deepEqual(await ids(`OrderKey = 'k''; DROP TABLE visibility_records; --'`), []);
      assert.deepEqual(await ids(`WorkflowType != ''`), ['a', 'b', 'c']);

      // Typed values come back with their types, from a list and from describe.
      const listedA = [];
      for await (const w of e.client.workflow.list({ query: `WorkflowId = '${prefix}-a'` })) listedA.push(w);
      const typed = listedA[0]!.typedSearchAttributes;
      assert.equal(typed.get(ORDER_KEY), "k'1");
      assert.equal(typed.get(AMOUNT), 42);
      assert.equal(typed.get(RATIO), 0.25);
      assert.equal(typed.get(URGENT), true);
      assert.equal(typed.get(DUE_AT)?.toISOString(), due.toISOString());
      assert.deepEqual(typed.get(LABELS), ['red', 'blue']);
      assert.equal(typed.get(SUMMARY), 'Quick brown fox');
      const described = await a.describe();
      assert.equal(described.typedSearchAttributes.get(AMOUNT), 42);
      assert.deepEqual(described.typedSearchAttributes.get(LABELS), ['red', 'blue']);
      assert.equal(described.typedSearchAttributes.get(DUE_AT)?.toISOString(), due.toISOString());

      // Counts, plain and grouped by ExecutionStatus (through the raw service).
      const counted = await e.client.workflow.count(`WorkflowId STARTS_WITH '${prefix}'`);
      assert.equal(counted.count, 3);
      const grouped = await e.client.workflowService.countWorkflowExecutions({
        namespace: 'default',
        query: `WorkflowId STARTS_WITH '${prefix}' GROUP BY ExecutionStatus`,
      });
      assert.equal(Number(grouped.count), 3);
      const groups = Object.fromEntries(
        grouped.groups.map((g) => [
          JSON.parse(Buffer.from(g.groupValues![0]!.data!).toString()),
          Number(g.count),
        ]),
      );
      assert.deepEqual(groups, { Running: 2, Completed: 1 });

      await a.signal('release');
      await b.signal('release');
      await Promise.all([a.result(), b.result()]);
    });
  });

  test('unregistered attributes and bad queries are refused as Temporal refuses them', async () => {
    const e = env();
    const taskQueue = e.taskQueue('vis-bad');
    const notDefined = defineSearchAttributeKey('NeverRegistered', SearchAttributeType.KEYWORD);
    await assert.rejects(
      e.client.workflow.start('greeting', {
        taskQueue,
        workflowId: `${taskQueue}-start`,
        args: ['x'],
        typedSearchAttributes: [{ key: notDefined, value: 'x' }],
      }),
      refusedWith(/search attribute NeverRegistered is not defined/),
    );
    for (const [query, message] of [
      [`NeverRegistered = 'x'`, /column name 'NeverRegistered' is not a valid search attribute/],
      [`WorkflowId = 'a' ORDER BY StartTime`, /'ORDER BY' clause/],
      [`WorkflowId = 'a'; DROP TABLE visibility_records`, /syntax error at position 17/],
      [`StartTime > 'yesterday'`, /unable to parse datetime 'yesterday'/],
    ] as const) {
      await assert.rejects(
        e.client.workflowService.listWorkflowExecutions({ namespace: 'default', query }),
        refusedWith(message),
        query,
      );
    }
    // An upsert of an unregistered attribute fails the workflow task with BAD_SEARCH_ATTRIBUTES.
    const workflowId = `${taskQueue}-upsert`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('badUpsert', { taskQueue, workflowId });
      const failed = await eventually(
        async () =>
          (await handle.fetchHistory()).events?.find(
            (ev) =>
              ev.workflowTaskFailedEventAttributes !== undefined &&
              ev.workflowTaskFailedEventAttributes !== null,
          ),
        (ev) => ev !== undefined,
      );
      assert.equal(
        failed?.workflowTaskFailedEventAttributes?.cause,
        temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
      );
      assert.match(
        failed?.workflowTaskFailedEventAttributes?.failure?.message ?? '',
        /NotRegistered is not defined/,
      );
      await handle.terminate('done');
    });
    // Removed attributes are gone from the namespace's list.
    await e.client.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { Passing: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
    await e.client.connection.operatorService.removeSearchAttributes({
      namespace: 'default',
      searchAttributes: ['Passing'],
    });
    const after = await e.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.equal(after.customAttributes.Passing, undefined);
  });
});
