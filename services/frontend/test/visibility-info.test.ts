import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@odin/api';
import { executionInfo } from '../src/handlers/visibility.js';

const record = {
  namespaceId: 'ns',
  runId: 'run-1',
  workflowId: 'wf-1',
  workflowType: 'Order',
  status: 2,
  startTime: 1_000,
  executionTime: 1_000,
  closeTime: 2_000,
  taskQueue: 'q',
  historyLength: 11,
  historySizeBytes: 900,
  executionDuration: 1_000,
  rootWorkflowId: 'wf-1',
  rootRunId: 'run-1',
  searchAttributes: {
    CustomKeywordField: { type: 'Keyword' as const, value: 'after' },
    CustomIntField: { type: 'Int' as const, value: 7 },
    Tags: { type: 'KeywordList' as const, value: ['a', 'b'] },
  },
  stateVersion: 3,
};

test('listed executions carry their search attributes as json/plain payloads with their type', () => {
  const info = temporal.api.workflow.v1.WorkflowExecutionInfo.decode(
    temporal.api.workflow.v1.WorkflowExecutionInfo.encode(
      temporal.api.workflow.v1.WorkflowExecutionInfo.fromObject(executionInfo(record)),
    ).finish(),
  );
  const fields = info.searchAttributes?.indexedFields ?? {};
  assert.deepEqual(Object.keys(fields).sort(), ['CustomIntField', 'CustomKeywordField', 'Tags']);
  for (const [name, expected] of Object.entries(record.searchAttributes)) {
    const payload = fields[name]!;
    assert.equal(Buffer.from(payload.metadata!.encoding!).toString(), 'json/plain');
    assert.equal(Buffer.from(payload.metadata!.type!).toString(), expected.type);
    assert.deepEqual(JSON.parse(Buffer.from(payload.data!).toString()), expected.value);
  }
  assert.equal(Number(info.historySizeBytes), 900);
  assert.equal(Number(info.executionDuration?.seconds), 1);
  assert.equal(info.rootExecution?.runId, 'run-1');
});

test('an execution without search attributes lists none', () => {
  const info = executionInfo({ ...record, searchAttributes: null }) as { searchAttributes?: unknown };
  assert.equal(info.searchAttributes, undefined);
});
