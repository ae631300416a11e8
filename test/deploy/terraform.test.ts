import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from '@cdktf/hcl2json';
import { repoRoot } from './tools.js';

const MODULE = join(repoRoot, 'terraform/odin');
const EXAMPLE = join(repoRoot, 'terraform/examples/production/main.tf');

type Hcl = Record<string, unknown>;
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
}

/** Each .tf file of a folder, parsed to JSON (HCL expressions stay as "${…}" strings). */
async function parseFolder(folder: string): Promise<Map<string, Hcl>> {
  const files = new Map<string, Hcl>();
  for (const name of readdirSync(folder)
    .filter((n) => n.endsWith('.tf'))
    .sort()) {
    files.set(name, (await parse(name, readFileSync(join(folder, name), 'utf8'))) as Hcl);
  }
  return files;
}

/** Every leaf path of a nested object: [['image', 'repository'], …]. */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) =>
    leafPaths(inner, [...prefix, key]),
  );
}

/** Whether values.schema.json declares the value at `path` (free-form objects accept any key below them). */
function schemaHas(schema: JsonSchema, path: readonly string[]): boolean {
  let node: JsonSchema | undefined = schema;
  for (const key of path) {
    if (!node) return false;
    if (node.properties && key in node.properties) {
      node = node.properties[key];
      continue;
    }
    const open = node.type === 'object' && !node.properties && node.additionalProperties !== false;
    return open;
  }
  return node !== undefined;
}

describe('Terraform module terraform/odin', () => {
  let module: Map<string, Hcl>;
  before(async () => {
    module = await parseFolder(MODULE);
  });

  test('every file parses, and the module has a helm_release, its namespace and the Secrets', () => {
    assert.deepEqual([...module.keys()], ['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
    const resources = module.get('main.tf')?.resource as Record<string, unknown>;
    for (const type of ['helm_release', 'kubernetes_namespace_v1', 'kubernetes_secret_v1']) {
      assert.ok(resources[type], `main.tf declares a ${type}`);
    }
  });

  test('every chart value the module sets exists in helm/odin/values.schema.json', () => {
    const schema = JSON.parse(
      readFileSync(join(repoRoot, 'helm/odin/values.schema.json'), 'utf8'),
    ) as JsonSchema;
    const locals = module.get('main.tf')?.locals as Record<string, unknown>[];
    const values = locals.find((block) => 'values' in block)?.values;
    assert.ok(values, 'main.tf has local.values');
    const paths = leafPaths(values);
    assert.ok(paths.length > 20, `${paths.length} values set`);
    const missing = paths.filter((path) => !schemaHas(schema, path)).map((path) => path.join('.'));
    assert.deepEqual(missing, [], 'values the chart does not declare');
    // The check itself must be able to fail.
    assert.equal(schemaHas(schema, ['frontend', 'replicas']), false);
  });

  test('every variable the module reads is declared, and the example passes only declared variables', async () => {
    const declared = new Set(Object.keys(module.get('variables.tf')?.variable as Record<string, unknown>));
    const text = ['main.tf', 'outputs.tf'].map((name) => readFileSync(join(MODULE, name), 'utf8')).join('\n');
    const used = new Set([...text.matchAll(/\bvar\.([a-z_]+)/g)].map((m) => m[1] ?? ''));
    assert.deepEqual(
      [...used].filter((name) => !declared.has(name)),
      [],
    );
    assert.deepEqual(
      [...declared].filter((name) => !used.has(name)),
      [],
      'declared variables that nothing reads',
    );

    const example = (await parse('main.tf', readFileSync(EXAMPLE, 'utf8'))) as Hcl;
    const call = (example.module as Record<string, Record<string, unknown>[]>).odin?.[0] ?? {};
    const passed = Object.keys(call).filter((key) => key !== 'source');
    assert.ok(passed.length > 5);
    assert.deepEqual(
      passed.filter((name) => !declared.has(name)),
      [],
    );
  });
});
