import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationProblem, durationToMs, findInvalidDuration, msToDuration, protoRoot } from '../src/index.js';

test('durationProblem follows google.protobuf.Duration: nanos under a second, one sign, ±10,000 years', () => {
  assert.equal(durationProblem(undefined), undefined);
  assert.equal(durationProblem({ seconds: 5, nanos: 999_999_999 }), undefined);
  assert.equal(durationProblem({ seconds: -5, nanos: -1 }), undefined);
  assert.match(durationProblem({ seconds: 1, nanos: 1_000_000_000 })!, /nanos/);
  assert.match(durationProblem({ nanos: 0.5 })!, /nanos/);
  assert.match(durationProblem({ seconds: 1, nanos: -1 })!, /one sign/);
  assert.match(durationProblem({ seconds: '9223372036854775807' })!, /seconds must be at most/);
});

test('findInvalidDuration finds one at any depth, names its path, and skips the fields it is told to', () => {
  const start = protoRoot.lookupType('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
  const request = start.fromObject({
    namespace: 'n',
    workflowRunTimeout: { seconds: 10 },
    retryPolicy: { maximumInterval: { seconds: 1, nanos: 2_000_000_000 } },
  });
  assert.match(findInvalidDuration(start, request)!, /^RetryPolicy\.MaximumInterval: nanos/);
  assert.equal(findInvalidDuration(start, request, new Set(['retryPolicy'])), undefined);
  assert.equal(
    findInvalidDuration(start, start.fromObject({ workflowRunTimeout: { seconds: 10 } })),
    undefined,
  );

  // Failures nest (cause): a bad retry delay 2,000 causes deep is found without recursion.
  const failed = protoRoot.lookupType('temporal.api.workflowservice.v1.RespondActivityTaskFailedRequest');
  let failure: Record<string, unknown> = {
    message: 'deepest',
    applicationFailureInfo: { nextRetryDelay: { seconds: 0, nanos: 5_000_000_000 } },
  };
  for (let i = 0; i < 2_000; i++) failure = { message: `level ${i}`, cause: failure };
  const problem = findInvalidDuration(failed, { failure });
  assert.match(problem!, /^Failure(\.Cause){2000}\.ApplicationFailureInfo\.NextRetryDelay: nanos/);
});

test('msToDuration gives a valid Duration for negative milliseconds too', () => {
  assert.deepEqual(msToDuration(1_500), { seconds: 1, nanos: 500_000_000 });
  const negative = msToDuration(-1_500);
  assert.deepEqual({ ...negative, nanos: negative.nanos + 0 }, { seconds: -1, nanos: -500_000_000 });
  assert.equal(durationProblem(negative), undefined);
  assert.equal(durationToMs(negative), -1_500);
});
