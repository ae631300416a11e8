import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@odin/api';
import { decodeRequest } from '../src/grpc-service.js';

test('a decoded request does not keep the buffer it arrived in: its payloads view a copy of the request only', () => {
  const Request = temporal.api.workflowservice.v1.RespondActivityTaskCompletedRequest;
  const bytes = Request.encode({
    namespace: 'default',
    taskToken: new Uint8Array([1, 2, 3]),
    result: {
      payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"done"') }],
    },
  }).finish();
  // What grpc-js hands a deserializer: the message as a slice of a larger buffer (a pool slab, a read of the socket).
  const arrived = Buffer.alloc(64 * 1024);
  arrived.set(bytes, 1_000);
  const request = decodeRequest(Request as never, arrived.subarray(1_000, 1_000 + bytes.length)) as {
    result?: { payloads?: { data?: Uint8Array | null }[] | null } | null;
  };
  const data = request.result?.payloads?.[0]?.data;
  assert.equal(Buffer.from(data ?? []).toString(), '"done"');
  assert.notEqual(data?.buffer, arrived.buffer);
  assert.equal(data?.buffer.byteLength, bytes.length);
});
