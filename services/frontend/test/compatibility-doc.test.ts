// docs/compatibility.md must say what the frontend serves: the implemented set comes from the handler table
// (FrontendService.implemented), the RPC list from the pinned proto. A handler added or removed without its row
// changing fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { SchedulerApi } from '@odin/api';
import { FrontendService } from '../src/frontend-service.js';
import { methodCodecs, OPERATOR_SERVICE, WORKFLOW_SERVICE } from '../src/grpc-service.js';
import { fakeHistory, fakeMatching, fixture } from './fakes.js';

const DOC = new URL('../../../docs/compatibility.md', import.meta.url);
/** A row's state: served (in full, or with the limits its notes list), or not. */
const STATES = new Set(['Implemented', 'Implemented (partly)', 'UNIMPLEMENTED']);

/** The `| RPC | status | notes |` rows under the section whose heading names `service`. */
function documentedRows(markdown: string, service: string): Map<string, string> {
  const sections = markdown.split(/^## /m);
  const section = sections.find((s) => s.split('\n', 1)[0]?.includes(`\`${service}\``));
  assert.ok(section, `docs/compatibility.md has no section for ${service}`);
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    // ['', rpc, status, notes, '']
    if (cells.length < 4 || cells[1] === 'RPC' || /^-+$/.test(cells[1] ?? '')) continue;
    const [, rpc = '', state = ''] = cells;
    assert.ok(!rows.has(rpc), `${rpc} has two rows`);
    rows.set(rpc, state);
  }
  return rows;
}

describe('docs/compatibility.md', async () => {
  const f = await fixture();
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory([]),
    matching: fakeMatching([]),
    // Every server assembly gives the frontend the schedule service; its calls are not made here.
    schedules: {} as SchedulerApi,
  });
  const markdown = readFileSync(DOC, 'utf8');

  for (const service of [WORKFLOW_SERVICE, OPERATOR_SERVICE]) {
    test(`lists every ${service.split('.').at(-1)} RPC once, Implemented exactly where a handler exists`, () => {
      const rows = documentedRows(markdown, service);
      const rpcs = methodCodecs(service).map((m) => m.name);
      assert.deepEqual([...rows.keys()].sort(), [...rpcs].sort(), 'the table lists the proto RPCs');
      const implemented = new Set(frontend.implemented(service));
      for (const rpc of rpcs) {
        const state = rows.get(rpc) ?? '';
        assert.ok(STATES.has(state), `${rpc}: unknown state ${JSON.stringify(state)}`);
        const documented = state !== 'UNIMPLEMENTED';
        assert.equal(
          documented,
          implemented.has(rpc),
          `${rpc}: the doc says ${state}, the frontend ${implemented.has(rpc) ? 'serves it' : 'does not serve it'}`,
        );
      }
    });
  }
});
