// A commit whose acknowledgement is lost (the database wrote it, history saw an error) must not leave history's
// cache believing the old state: found by the deterministic simulation (test/simulation), where a continue-as-new
// committed this way left the workflow's "current run" pointing at the closed run, so requests without a run id
// (history reads, signals, queries) went to the run that had continued as new.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { DatabaseUnavailableError, openStore, type PersistenceStore } from '@odin/persistence';
import type { HistoryService } from '../src/history-service.js';
import {
  complete,
  type FakeMatching,
  history,
  NS,
  payloads,
  pollWorkflowTask,
  startHistory,
} from './harness.js';
import type { Harness } from './harness.js';

const EventType = temporal.api.enums.v1.EventType;
const COMMITS = new Set([
  'commitShardBatch',
  'commitShardBatches',
  'createWorkflowExecution',
  'updateWorkflowExecution',
]);

/** The store, except that while `loseAcks` is set every commit is written and then reported as failed. */
function losingAcks(store: PersistenceStore): { store: PersistenceStore; control: { loseAcks: boolean } } {
  const control = { loseAcks: false };
  const executions = new Proxy(store.executions, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !COMMITS.has(String(property))) return value;
      return async (...args: unknown[]) => {
        const result = await value.apply(target, args);
        if (control.loseAcks) throw new DatabaseUnavailableError('sqlite::memory:', 'acknowledgement lost');
        return result;
      };
    },
  });
  return {
    store: new Proxy(store, { get: (t, p, r) => (p === 'executions' ? executions : Reflect.get(t, p, r)) }),
    control,
  };
}

describe('a commit whose acknowledgement is lost', () => {
  let h: Harness & { control: { loseAcks: boolean } };
  before(async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const raw = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
    const { store, control } = losingAcks(raw);
    const started: { history: HistoryService; matching: FakeMatching } = await startHistory(store, clock);
    h = {
      clock,
      store: raw,
      ...started,
      control,
      async close() {
        await started.history.stop();
        await raw.close();
      },
    };
  });
  after(async () => {
    await h.close();
  });

  test('continue-as-new: the workflow’s current run is the new run afterwards, not the one that continued', async () => {
    const { startWith } = await import('./harness.js');
    const first = (await startWith(h, 'lost-ack-can')).runId!;
    const wft = await pollWorkflowTask(h, 'lost-ack-can');
    h.control.loseAcks = true;
    await assert.rejects(
      complete(h, wft.taskToken, [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
          continueAsNewWorkflowExecutionCommandAttributes: {
            workflowType: { name: 'wf' },
            taskQueue: { name: 'tq' },
            input: payloads('next'),
          },
        },
      ]),
    );
    h.control.loseAcks = false;
    const old = await history(h, 'lost-ack-can', first);
    assert.equal(
      old.at(-1)?.eventType,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
      'it was written',
    );
    const current = await history(h, 'lost-ack-can');
    assert.equal(current[0]?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    assert.equal(
      current[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId,
      first,
      'the current run is the one the continue-as-new started',
    );
    const response = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'lost-ack-can' } },
      { signal: new AbortController().signal },
    );
    assert.notEqual(response.workflowExecutionInfo?.execution?.runId, first);
  });
});
