import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { longPollEnd } from '../src/long-poll.js';

describe('longPollEnd', () => {
  test('without a deadline an idle poll waits a minute', () => {
    assert.equal(longPollEnd(1_000, undefined), 61_000);
  });

  test('answers five seconds before a far deadline, capped at a minute', () => {
    assert.equal(longPollEnd(0, 70_000), 60_000);
    assert.equal(longPollEnd(0, 30_000), 25_000);
  });

  test('keeps half of a short remaining time as margin', () => {
    assert.equal(longPollEnd(0, 4_000), 2_000);
  });

  test('answers at once when the deadline has passed', () => {
    assert.equal(longPollEnd(10_000, 9_000), 10_000);
  });
});
