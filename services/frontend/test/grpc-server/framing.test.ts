import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { decompress } from '../../src/grpc-server/compression.js';
import { frameMessage, MessageReader } from '../../src/grpc-server/framing.js';
import { metadataValue, timeoutMs } from '../../src/grpc-server/request-headers.js';
import { status } from '@grpc/grpc-js';
import { encodeGrpcMessage, GrpcStatusError } from '../../src/grpc-server/status.js';

test('a message split across chunks at every byte is read whole; several in one chunk are read each', () => {
  const message = Buffer.from('hello, grpc');
  const framed = frameMessage(message);
  for (let cut = 1; cut < framed.length; cut++) {
    const reader = new MessageReader(1024);
    assert.deepEqual(reader.push(framed.subarray(0, cut)), []);
    const [read] = reader.push(framed.subarray(cut));
    assert.ok(read?.bytes.equals(message), `cut at ${cut}`);
  }
  const reader = new MessageReader(1024);
  const three = reader.push(Buffer.concat([framed, frameMessage(Buffer.alloc(0)), framed]));
  assert.deepEqual(
    three.map((m) => m.bytes.toString()),
    ['hello, grpc', '', 'hello, grpc'],
  );
});

test('a length over the limit is refused from the prefix alone', () => {
  const prefix = Buffer.from([0, 0, 0, 4, 1]);
  assert.throws(
    () => new MessageReader(1024).push(prefix),
    (error: GrpcStatusError) =>
      error.code === status.RESOURCE_EXHAUSTED &&
      error.details === 'Received message larger than max (1025 vs 1024)',
  );
  // The same prefix arriving a byte at a time.
  const reader = new MessageReader(1024);
  for (const byte of prefix.subarray(0, 4)) reader.push(Buffer.from([byte]));
  assert.throws(() => reader.push(prefix.subarray(4)), GrpcStatusError);
});

test('decompression: identity as is, gzip and deflate (small in line, large in the pool), others UNIMPLEMENTED', async () => {
  const small = Buffer.from('x'.repeat(100));
  assert.equal(decompress('identity', small, 10), small);
  assert.ok((decompress('gzip', gzipSync(small), 1000) as Buffer).equals(small));
  assert.ok((decompress('deflate', deflateSync(small), 1000) as Buffer).equals(small));
  const large = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
  assert.ok((await decompress('gzip', gzipSync(large), 100_000)).equals(large));
  await assert.rejects(
    Promise.resolve().then(() => decompress('gzip', gzipSync(large), 1000)),
    (error: GrpcStatusError) => error.code === status.RESOURCE_EXHAUSTED,
  );
  assert.throws(
    () => decompress('gzip', Buffer.from('not gzip'), 1000),
    (error: GrpcStatusError) => error.code === status.INTERNAL,
  );
  assert.throws(
    () => decompress('snappy', small, 1000),
    (error: GrpcStatusError) => error.code === status.UNIMPLEMENTED,
  );
});

test('gzip decompressed in line: several members, a trailer that does not match the data, a bomb claiming a small length', () => {
  const message = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 7));
  const gz = gzipSync(message);
  const twoMembers = Buffer.concat([gzipSync(message.subarray(0, 100)), gzipSync(message.subarray(100))]);
  assert.ok((decompress('gzip', twoMembers, 1000) as Buffer).equals(message));
  const withTrailer = (crc: number, size: number) => {
    const copy = Buffer.from(gz);
    copy.writeUInt32LE(crc >>> 0, copy.length - 8);
    copy.writeUInt32LE(size >>> 0, copy.length - 4);
    return copy;
  };
  const crc = gz.readUInt32LE(gz.length - 8);
  const internal = (error: GrpcStatusError) => error.code === status.INTERNAL;
  assert.throws(() => decompress('gzip', withTrailer(crc ^ 1, message.length), 1000), internal, 'wrong CRC');
  assert.throws(
    () => decompress('gzip', withTrailer(crc, message.length - 1), 1000),
    internal,
    'says shorter',
  );
  const shorter = message.subarray(0, message.length - 1);
  assert.throws(
    () => decompress('gzip', withTrailer(crc32(shorter), shorter.length), 1000),
    internal,
    'a trailer that matches a prefix of the data',
  );
  assert.throws(
    () => decompress('gzip', withTrailer(crc, message.length + 1), 1000),
    internal,
    'says longer',
  );
  // 100 kB of zeros compress to a few hundred bytes; the trailer claims 10 bytes, within the 1000-byte limit.
  const bomb = gzipSync(Buffer.alloc(100_000));
  bomb.writeUInt32LE(10, bomb.length - 4);
  assert.ok(bomb.length < 4096);
  assert.throws(
    () => decompress('gzip', bomb, 1000),
    (error: GrpcStatusError) => error.code === status.RESOURCE_EXHAUSTED,
  );
  assert.throws(() => decompress('gzip', gz.subarray(0, 12), 1000), internal, 'truncated');
});

test('grpc-timeout units; metadata values', () => {
  assert.equal(timeoutMs('3S'), 3000);
  assert.equal(timeoutMs('1500m'), 1500);
  assert.equal(timeoutMs('2M'), 120_000);
  assert.equal(timeoutMs('5000000u'), 5000);
  assert.equal(timeoutMs('99999999H'), 99_999_999 * 3_600_000, 'beyond 32 bits');
  assert.throws(
    () => timeoutMs('later'),
    (error: GrpcStatusError) => error.code === status.INTERNAL,
  );
  assert.equal(metadataValue({ 'x-correlation-id': 'abc' }, 'x-correlation-id'), 'abc');
  assert.equal(metadataValue({ 'x-correlation-id': '' }, 'x-correlation-id'), undefined);
});

test('grpc-message is percent-encoded as grpc-js encodes it, a lone surrogate included', () => {
  assert.equal(encodeGrpcMessage('a b%é'), 'a%20b%25%C3%A9');
  assert.equal(encodeGrpcMessage('bad \ud800'), 'bad%20%EF%BF%BD');
});
