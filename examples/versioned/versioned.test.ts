import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertDeterministicReplay, replayHistory } from '@odin/sdk';
import { withDevServer } from '../shared/dev-server.js';
import { runVersionedExample, type VersionedOutcome } from './example.js';
import * as v2 from './workflows.js';
import * as ungated from './workflows-ungated.js';

let outcome: VersionedOutcome;

before(async () => {
  outcome = await withDevServer((address) => runVersionedExample(address));
});

test('versioned: a run started before the change keeps the old branch; a new run records the version and takes the new one', () => {
  assert.deepEqual(outcome.oldRun, ['email:o-1']);
  assert.deepEqual(outcome.newRun, ['email:o-2', 'sms:o-2']);
  assert.equal(outcome.newRunMarkers, 1);
  assert.equal(outcome.oldHistory.filter((e) => e.markerRecordedEventAttributes).length, 0);
});

test('versioned: the old history replays against the gated v2 code identically, twice', async () => {
  const replay = await assertDeterministicReplay(outcome.oldHistory, v2);
  assert.ok(replay.replayedTasks >= 2);
});

test('versioned: without the gate, replaying the old history reports a determinism violation', async () => {
  const replay = await replayHistory(outcome.oldHistory, ungated);
  assert.ok(replay.divergence, 'expected a determinism violation');
});
