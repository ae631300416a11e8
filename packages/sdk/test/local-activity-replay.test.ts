// Replaying local activity markers on hand-built histories: matched by sequence number, resolved in the task
// that recorded them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localActivityMarkerDetails } from '../src/common/local-activity-marker.js';
import { defaultPayloadConverter, toPayloads } from '../src/common/payload.js';
import { replayHistory } from '../src/replay.js';
import { EventType, HistoryBuilder } from './history-helpers.js';
import * as local from './workflows/local.js';

function marker(history: HistoryBuilder, seq: number, result: string): void {
  history.add(EventType.EVENT_TYPE_MARKER_RECORDED, {
    markerRecordedEventAttributes: {
      markerName: 'core_local_activity',
      details: localActivityMarkerDetails(
        {
          seq,
          attempt: 1,
          activityId: String(seq),
          activityType: 'greet',
          completeTime: history.now,
          backoffMs: undefined,
          originalScheduleTime: history.now,
        },
        defaultPayloadConverter.toPayload(result),
      ),
    },
  });
}

function completed(history: HistoryBuilder, value: unknown): void {
  history.add(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
    workflowExecutionCompletedEventAttributes: { result: toPayloads(defaultPayloadConverter, [value]) },
  });
}

describe('local activity replay', () => {
  test('concurrent local activities whose markers history recorded in finishing order replay (matched by seq)', async () => {
    const history = new HistoryBuilder().started('twoLocal').workflowTask();
    marker(history, 2, 'Hello, b!');
    marker(history, 1, 'Hello, a!');
    completed(history, ['Hello, a!', 'Hello, b!']);
    const replay = await replayHistory(history.events, local);
    assert.equal(replay.divergence, undefined);
    assert.equal(replay.taskFailure, undefined);
  });

  test('a local activity whose marker a later workflow task recorded (a heartbeated task) resolves there', async () => {
    const history = new HistoryBuilder().started('twoLocal').workflowTask();
    marker(history, 1, 'Hello, a!');
    history.at(5000).workflowTask();
    marker(history, 2, 'Hello, b!');
    completed(history, ['Hello, a!', 'Hello, b!']);
    const replay = await replayHistory(history.events, local);
    assert.equal(replay.divergence, undefined);
    assert.equal(replay.replayedTasks, 2);
  });

  test('a history without the marker of a local activity the code runs is a divergence', async () => {
    const history = new HistoryBuilder().started('twoLocal').workflowTask();
    marker(history, 1, 'Hello, a!');
    completed(history, ['Hello, a!', 'Hello, b!']);
    const replay = await replayHistory(history.events, local);
    assert.ok(replay.divergence);
  });
});

describe('local activities in the WorkflowSimulator', () => {
  test('the simulator runs local activities and its history replays', async () => {
    const { WorkflowSimulator } = await import('../src/testing/workflow-simulator.js');
    const sim = new WorkflowSimulator(
      { workflows: local, activities: { greet: async (name: string) => `Hello, ${name}!` } },
      'twoLocal',
    );
    assert.equal(await sim.run(), 'completed');
    assert.deepEqual(await sim.result(), ['Hello, a!', 'Hello, b!']);
    const replay = await replayHistory(sim.history, local);
    assert.equal(replay.divergence, undefined);
  });
});
