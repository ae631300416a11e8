// A transaction pipeline's own promises, the same on every dialect that has one: a failed statement or row count
// rolls the whole transaction back and resolves to null (the caller then re-runs it the ordinary way).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledQuery, type QueryResult } from 'kysely';
import type { CheckedStatement, TransactionPipeline } from '../../src/dialects/sql-dialect.js';

/** What the cases need of a dialect's test file: its pipeline on a database with `t (id integer primary key, name text)`. */
export interface PipelineHarness {
  pipeline(): TransactionPipeline;
  /** `text` with its `?` placeholders written as the dialect writes them. */
  placeholders(text: string): string;
  /** Empties `t` and inserts `kept` (id 1). */
  resetWithOneRow(): Promise<void>;
  /** `t`'s rows by id. */
  rows(): Promise<unknown[]>;
  /** Resolves a commit, completing whatever it waits for after COMMIT (SQLite's WAL sync). */
  settle<T>(commit: Promise<T>): Promise<T>;
}

export function pipelineStatementCases(h: PipelineHarness): void {
  const raw = (text: string, parameters: unknown[] = []) =>
    CompiledQuery.raw(h.placeholders(text), parameters);
  const stmt = (text: string, parameters: unknown[] = [], expectRows?: number): CheckedStatement => ({
    query: raw(text, parameters),
    ...(expectRows === undefined ? {} : { expectRows }),
  });
  const kept = { id: 1, name: 'kept' };

  test('a transaction that reads before it decides: decide sees the first step’s results, and its own statements commit', async () => {
    await h.resetWithOneRow();
    let seen: readonly QueryResult<unknown>[] = [];
    const value = await h.settle(
      h
        .pipeline()
        .run(
          [
            stmt('insert into t (id, name) values (?, ?), (?, ?)', [2, 'a', 3, 'b']),
            stmt('update t set name = ? where id = ?', ['c', 3]),
            stmt('select id, name from t order by id'),
          ],
          (results) => {
            seen = results;
            return { statements: [raw('insert into t (id, name) values (?, ?)', [4, 'd'])], value: 'done' };
          },
        ),
    );
    assert.equal(value, 'done');
    assert.deepEqual(
      seen.map((r) => r.numAffectedRows),
      [2n, 1n, undefined],
    );
    const read = [kept, { id: 2, name: 'a' }, { id: 3, name: 'c' }];
    assert.deepEqual(seen[2]!.rows, read);
    assert.deepEqual(await h.rows(), [...read, { id: 4, name: 'd' }]);
  });

  test('a failing statement in either step rolls back the whole transaction and resolves to null', async () => {
    await h.resetWithOneRow();
    const first = await h
      .pipeline()
      .run(
        [
          stmt('insert into t (id, name) values (?, ?)', [2, 'b']),
          stmt('insert into t (id, name) values (?, ?)', [1, 'duplicate']),
          stmt('insert into t (id, name) values (?, ?)', [3, 'skipped']),
        ],
        () => assert.fail('decide must not run after a failed statement'),
      );
    assert.equal(first, null);
    const second = await h.pipeline().run([stmt('insert into t (id, name) values (?, ?)', [4, 'b'])], () => ({
      statements: [raw('insert into t (id, name) values (?, ?)', [1, 'duplicate'])],
      value: 'committed',
    }));
    assert.equal(second, null);
    assert.deepEqual(await h.rows(), [kept]);
    // The connection serves the next transaction (on PostgreSQL a new one, its statements prepared again).
    const again = await h.settle(
      h.pipeline().run([stmt('insert into t (id, name) values (?, ?)', [2, 'b'])], () => ({
        statements: [],
        value: 'ok',
      })),
    );
    assert.equal(again, 'ok');
    assert.equal((await h.rows()).length, 2);
  });

  test('a row count that does not hold rolls the whole transaction back, whichever kind of statement it counts', async () => {
    await h.resetWithOneRow();
    const attempts: [string, CheckedStatement][] = [
      ['an update matching fewer rows', stmt('update t set name = ? where id = ?', ['x', 99], 1)],
      [
        'an insert that conflicted',
        stmt('insert into t (id, name) values (?, ?) on conflict (id) do nothing', [1, 'again'], 1),
      ],
      ['a select returning fewer rows', stmt('select id from t where id = ?', [42], 1)],
      ['a delete matching more rows', stmt('delete from t where id >= ?', [0], 0)],
    ];
    for (const [what, failing] of attempts) {
      const committed = await h
        .pipeline()
        .commitInOneWrite([
          stmt('insert into t (id, name) values (?, ?)', [2, 'rolled back'], 1),
          failing,
          stmt('insert into t (id, name) values (?, ?)', [3, 'skipped']),
        ]);
      assert.equal(committed, false, what);
      assert.deepEqual(await h.rows(), [kept], what);
    }
    // The same statements with counts that hold commit.
    const committed = await h.settle(
      h
        .pipeline()
        .commitInOneWrite([
          stmt('insert into t (id, name) values (?, ?) on conflict (id) do nothing', [2, 'new'], 1),
          stmt('select id from t where id = ?', [1], 1),
        ]),
    );
    assert.equal(committed, true);
    assert.equal((await h.rows()).length, 2);
    // A counted statement of the first step fails it as well: decide never runs.
    const value = await h
      .pipeline()
      .run([stmt('update t set name = ? where id = ?', ['x', 99], 1)], () =>
        assert.fail('decide must not run after a count failed'),
      );
    assert.equal(value, null);
  });
}
