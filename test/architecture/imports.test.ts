// The import rules of docs/architecture.md, checked over the source of every package and service (tests excluded).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { cruise, type ICruiseResult } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const rules = require('./import-rules.cjs');
const root = new URL('../..', import.meta.url).pathname;

async function cruiseSources(): Promise<ICruiseResult> {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const reporting = await cruise(['packages', 'services'], {
      ...rules.options,
      ruleSet: { forbidden: rules.forbidden },
      validate: true,
    });
    return reporting.output as ICruiseResult;
  } finally {
    process.chdir(cwd);
  }
}

describe('import rules', () => {
  let result: ICruiseResult;

  test('every import of our own code resolves, including workspace packages to their sources', async () => {
    result = await cruiseSources();
    const unresolved = result.modules
      .flatMap((m) =>
        m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} -> ${d.module}`),
      )
      .filter((edge) => edge.includes('@odin/') || edge.includes(' -> .'));
    assert.deepEqual(unresolved, []);
    const edges = new Set(
      result.modules.flatMap((m) => m.dependencies.map((d) => `${m.source} -> ${d.resolved}`)),
    );
    // Edges the rules are about must be visible, or the rules would pass vacuously.
    for (const edge of [
      'services/history/src/handlers.ts -> services/history/src/api/startworkflow/handler.ts',
      'packages/sdk/src/client/connection.ts -> packages/api/src/public.ts',
      'packages/server/src/wiring.ts -> services/history/src/index.ts',
    ]) {
      assert.ok(edges.has(edge), `expected the cruise to see ${edge}`);
    }
  });

  test('no file breaks a rule', async () => {
    result ??= await cruiseSources();
    const violations = result.summary.violations.map(
      (v) =>
        `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`,
    );
    assert.deepEqual(violations, []);
    assert.ok(result.summary.totalCruised > 300, `cruised ${result.summary.totalCruised} modules`);
  });
});
