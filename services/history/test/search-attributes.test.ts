import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { cmd, complete, ctx, history, NS, pollWorkflowTask, setup, start } from './harness.js';
import type { Harness } from './harness.js';

const CommandType = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

const json = (value: unknown): T.api.common.v1.IPayload => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});

const upsert = (indexedFields: Record<string, T.api.common.v1.IPayload>): T.api.command.v1.ICommand => ({
  commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: { indexedFields } },
});

describe('search attributes set by commands are checked against the namespace registry', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
    await h.store.searchAttributes.addSearchAttributes(
      NS.id,
      [
        { name: 'Color', type: 'Keyword' },
        { name: 'Size', type: 'Int' },
      ],
      0,
    );
  });
  after(async () => {
    await h.close();
  });

  /** Completes the first workflow task with `commands`; the cause and message of its failure, if it failed. */
  async function firstTask(workflowId: string, commands: T.api.command.v1.ICommand[]) {
    await start(h, workflowId);
    const wft = await pollWorkflowTask(h, workflowId);
    await complete(h, wft.taskToken, commands);
    const failed = (await history(h, workflowId)).at(-1)?.workflowTaskFailedEventAttributes;
    return failed ? { cause: failed.cause, message: failed.failure?.message ?? '' } : undefined;
  }

  const refusals: [string, T.api.command.v1.ICommand, RegExp][] = [
    ['an unregistered attribute', upsert({ Shape: json('round') }), /search attribute Shape is not defined/],
    ['a system attribute', upsert({ WorkflowType: json('x') }), /WorkflowType attribute can't be set/],
    [
      'a value of another type',
      upsert({ Size: json('big') }),
      /"big" is not a valid value for search attribute Size of type Int/,
    ],
    [
      'a child start with an unregistered attribute',
      {
        commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        startChildWorkflowExecutionCommandAttributes: {
          workflowId: 'child',
          workflowType: { name: 'wf' },
          searchAttributes: { indexedFields: { Shape: json('round') } },
        },
      },
      /search attribute Shape is not defined/,
    ],
    [
      'a continue-as-new with an ill-typed attribute',
      {
        commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: {
          workflowType: { name: 'wf' },
          searchAttributes: { indexedFields: { Color: json(5) } },
        },
      },
      /5 is not a valid value for search attribute Color of type Keyword/,
    ],
  ];
  for (const [what, command, message] of refusals) {
    test(`${what} fails the workflow task with BAD_SEARCH_ATTRIBUTES`, async () => {
      const failed = await firstTask(`refused-${what.replaceAll(' ', '-')}`, [cmd.timer('t', 60), command]);
      assert.equal(failed?.cause, Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES);
      assert.match(failed?.message ?? '', message);
    });
  }

  test('an accepted upsert is kept typed; a null value removes the attribute', async () => {
    const workflowId = 'typed';
    assert.equal(
      await firstTask(workflowId, [upsert({ Color: json('red'), Size: json([3]) }), cmd.timer('t', 60)]),
      undefined,
    );
    const described = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId } },
      ctx(),
    );
    const info = described.workflowExecutionInfo!;
    const size = info.searchAttributes?.indexedFields?.Size;
    assert.equal(Buffer.from(size?.metadata?.type ?? []).toString(), 'Int');
    const runId = info.execution!.runId!;
    assert.deepEqual((await h.store.visibility.getVisibility(NS.id, runId))?.searchAttributes, {
      Color: { type: 'Keyword', value: 'red' },
      Size: { type: 'Int', value: 3 },
    });
    assert.equal((await h.store.visibility.getVisibility(NS.id, runId))?.rootRunId, runId);
    await h.history.signalWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId }, signalName: 'go', requestId: 'sig-1' },
      ctx(),
    );
    const wft = await pollWorkflowTask(h, workflowId);
    await complete(h, wft.taskToken, [upsert({ Color: json(null) })]);
    assert.deepEqual((await h.store.visibility.getVisibility(NS.id, runId))?.searchAttributes, {
      Size: { type: 'Int', value: 3 },
    });
  });
});
