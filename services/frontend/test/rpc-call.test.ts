import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { createLogger } from '@odin/runtime';
import { FrontendCall } from '../src/rpc-call.js';

// V8's own check of an object's property storage, compiled after the flag that allows it.
setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

function logged() {
  const lines: Record<string, unknown>[] = [];
  const base = createLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  return { base, lines };
}

const signal = new AbortController().signal;

describe('the call a frontend handler serves', () => {
  test('optional fields are absent unless given, and the call keeps fast properties', () => {
    const { base } = logged();
    const context = { base, traceId: undefined, namespace: 'default' };
    const bare = new FrontendCall('PollWorkflowTaskQueue', 'c-1', signal, {}, context);
    assert.equal('deadline' in bare, false);
    assert.equal('identity' in bare, false);
    assert.equal('peer' in bare, false);
    assert.equal(bare.signal, signal);
    const full = new FrontendCall(
      'PollWorkflowTaskQueue',
      'c-2',
      signal,
      { deadline: 1_000, identity: 'worker-1', peer: { subject: 'CN=w' } as never },
      context,
    );
    assert.deepEqual([full.deadline, full.identity, full.peer], [1_000, 'worker-1', { subject: 'CN=w' }]);
    for (const call of [bare, full]) assert.equal(hasFastProperties(call), true);
  });

  test('its logger is made once, on first use, with the call and request fields', () => {
    const { base, lines } = logged();
    const call = new FrontendCall(
      'StartWorkflowExecution',
      'c-3',
      signal,
      { identity: 'worker-2' },
      { base, traceId: 't-1', namespace: 'n'.repeat(5_000) },
    );
    assert.equal(call.logger, call.logger);
    call.logger.warn('hello');
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.correlation_id, 'c-3');
    assert.equal(line.trace_id, 't-1');
    assert.equal(line.worker_identity, 'worker-2');
    // A namespace the request made up is bounded in the log line.
    assert.ok(String(line.namespace).length < 5_000);
  });

  test('as() serves another method with the same fields and log context', () => {
    const { base, lines } = logged();
    const call = new FrontendCall(
      'RespondWorkflowTaskCompleted',
      'c-4',
      signal,
      { deadline: 7 },
      { base, traceId: undefined, namespace: 'default' },
    );
    const renamed = call.as('RespondWorkflowTaskFailed');
    assert.equal(renamed.method, 'RespondWorkflowTaskFailed');
    assert.deepEqual([renamed.correlationId, renamed.signal, renamed.deadline], ['c-4', signal, 7]);
    assert.equal('identity' in renamed, false);
    renamed.logger.info('renamed');
    assert.equal(lines[0]?.namespace, 'default');
    assert.equal('worker_identity' in lines[0]!, false);
  });
});
