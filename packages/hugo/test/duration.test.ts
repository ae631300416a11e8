import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { durationMs, parseDuration } from '../src/index.js';

describe('parseDuration', () => {
  test('takes every ms term and Go-style compounds', () => {
    const cases: Array<[string | number, number]> = [
      [250, 250],
      ['250', 250],
      ['250ms', 250],
      ['30s', 30_000],
      ['1.5 minutes', 90_000],
      ['2h', 7_200_000],
      ['3d', 259_200_000],
      ['1 day', 86_400_000],
      ['1w', 604_800_000],
      ['1h30m', 5_400_000],
      ['2m 10s', 130_000],
      ['1h0m0.5s', 3_600_500],
      ['  10s ', 10_000],
    ];
    for (const [input, expected] of cases) assert.equal(durationMs(input), expected, String(input));
  });

  test('refuses what is not a duration, naming the input', () => {
    for (const input of [
      '',
      'abc',
      '10 parsecs',
      '-5s',
      'h',
      '1h junk',
      Number.NaN,
      -1,
      Number.POSITIVE_INFINITY,
    ]) {
      const parsed = parseDuration(input);
      assert.equal(parsed.ok, false, String(input));
      assert.match(parsed.error?.message ?? '', /Invalid duration/);
    }
    assert.throws(() => durationMs('tomorrow'), TypeError);
  });

  test('truncates what it echoes and refuses over-long text before parsing', () => {
    const parsed = parseDuration(`${'9'.repeat(10_000)}s`);
    assert.equal(parsed.ok, false);
    assert.ok((parsed.error?.message.length ?? 0) < 200);
  });
});
