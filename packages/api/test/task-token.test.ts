import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindTaskToken, decodeTaskToken, encodeTaskToken, unbindTaskToken } from '../src/index.js';

const key = Buffer.from('k'.repeat(32));
const token = encodeTaskToken({
  kind: 'activity',
  namespaceId: 'ns-a-id',
  workflowId: 'wf',
  runId: 'run',
  scheduledEventId: 5,
  activityId: '1',
  attempt: 1,
});

test('a bound token opens, with the same key, to the token and its subject', () => {
  const bound = bindTaskToken(token, 'jwt:alice', key);
  const opened = unbindTaskToken(bound, key);
  assert.equal(opened.kind, 'bound');
  assert.ok(opened.kind === 'bound');
  assert.equal(opened.bound.subject, 'jwt:alice');
  assert.deepEqual(Buffer.from(opened.bound.token), Buffer.from(token));
  assert.equal(decodeTaskToken(opened.bound.token).namespaceId, 'ns-a-id');
});

test('another key, an edited subject or an edited token do not open', () => {
  const bound = bindTaskToken(token, 'jwt:alice', key);
  assert.equal(unbindTaskToken(bound, Buffer.from('x'.repeat(32))).kind, 'forged');
  const envelope = JSON.parse(Buffer.from(bound).toString('utf8')) as Record<string, string>;
  const edit = (change: Record<string, string>) =>
    unbindTaskToken(Buffer.from(JSON.stringify({ ...envelope, ...change })), key).kind;
  assert.equal(edit({ s: 'jwt:mallory' }), 'forged');
  const otherToken = encodeTaskToken({ kind: 'query', namespaceId: 'ns-b-id', queryId: 'q' });
  assert.equal(edit({ t: Buffer.from(otherToken).toString('base64') }), 'forged');
  assert.equal(edit({ m: '' }), 'forged');
  assert.equal(unbindTaskToken(Buffer.from('{"v":2}'), key).kind, 'forged');
});

test('a plain token is unbound, and a bound one is not a plain token', () => {
  assert.equal(unbindTaskToken(token, key).kind, 'unbound');
  assert.equal(unbindTaskToken(Buffer.from('garbage'), key).kind, 'unbound');
  assert.throws(() => decodeTaskToken(bindTaskToken(token, 'jwt:alice', key)), /not issued by this server/);
});

test('bytes that are not a token this server issued are INVALID_ARGUMENT, whatever JSON they hold', () => {
  for (const text of [
    'null',
    '[]',
    '"token"',
    '{"v":1,"namespaceId":"n","kind":"workflow"}',
    '{"v":1,"namespaceId":"n","kind":"activity","workflowId":"w","runId":"r","scheduledEventId":"5","activityId":"a","attempt":1}',
    '{"v":1,"namespaceId":"n","kind":"query","queryId":7}',
    '{"v":1,"namespaceId":"n","kind":"query","queryId":"q","taskQueue":{}}',
    '{"v":1,"namespaceId":"n","kind":"other"}',
    '{"v":1,"namespaceId":"n","kind":"toString"}',
    '{"v":1,"namespaceId":"n","kind":"__proto__"}',
    '{"v":1,"namespaceId":"n","kind":"constructor"}',
  ]) {
    assert.throws(
      () => decodeTaskToken(Buffer.from(text)),
      (error: Error & { code?: number }) => error.code === 3 /* INVALID_ARGUMENT */,
      text,
    );
  }
  assert.equal(decodeTaskToken(token).kind, 'activity');
});

test('a token is read from its own bytes when they are a view into a larger buffer (a decoded request)', () => {
  const request = Buffer.concat([Buffer.from('before'), token, Buffer.from('after')]);
  const view = new Uint8Array(request.buffer, request.byteOffset + 6, token.byteLength);
  assert.deepEqual(decodeTaskToken(view), decodeTaskToken(token));
});
