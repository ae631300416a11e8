import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RPC_ACCESS } from '../../src/auth/rpc-access.js';
import { WORKFLOW_SERVICE } from '../../src/grpc-service.js';

const doc = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8');

/** The "Every RPC's class" table of docs/security.md: class → method names as written there. */
function documentedTable(): Map<string, string[]> {
  const section = doc.slice(doc.indexOf("### Every RPC's class"));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const match = /^\| `([a-z-]+)` \| (.+) \|$/.exec(line);
    if (!match) continue;
    rows.set(match[1]!, [...match[2]!.matchAll(/`([A-Za-z/]+)`/g)].map((m) => m[1]!).sort());
  }
  return rows;
}

test('docs/security.md lists every RPC under the class the code gives it', () => {
  const fromCode = new Map<string, string[]>();
  for (const [service, table] of RPC_ACCESS) {
    const prefix = service === WORKFLOW_SERVICE ? '' : `${service.slice(service.lastIndexOf('.') + 1)}/`;
    for (const [method, access] of Object.entries(table)) {
      fromCode.set(access, [...(fromCode.get(access) ?? []), `${prefix}${method}`]);
    }
  }
  for (const methods of fromCode.values()) methods.sort();
  assert.deepEqual(
    documentedTable(),
    new Map([...documentedTable().keys()].map((k) => [k, fromCode.get(k)])),
  );
  assert.deepEqual([...documentedTable().keys()].sort(), [...fromCode.keys()].sort());
});
