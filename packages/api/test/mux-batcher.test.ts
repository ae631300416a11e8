import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MuxFrameBatcher } from '../src/mux-batcher.js';
import {
  encodeMuxBatch,
  encodeMuxFrame,
  MUX_BATCH,
  MUX_CALL,
  MUX_OK,
  muxBatchFrames,
  parseMuxFrame,
  parseMuxFrames,
} from '../src/mux-frame.js';

const frame = (id: number, size = 3) => encodeMuxFrame(MUX_OK, id, undefined, Buffer.alloc(size, id));

/** The ids of the frames in what was written, message by message. */
function idsOf(written: Buffer[]): number[][] {
  return written.map((message) => {
    const parsed = parseMuxFrame(message);
    assert.ok(parsed);
    return parsed.kind === MUX_BATCH ? (muxBatchFrames(parsed) ?? []).map((f) => f.id) : [parsed.id];
  });
}

describe('mux frame batches', () => {
  test('a batch holds its frames whole and in order', () => {
    const frames = [frame(1), encodeMuxFrame(MUX_CALL, 2, { m: 'x' }, Buffer.from('body')), frame(3, 0)];
    const batch = parseMuxFrame(encodeMuxBatch(frames));
    assert.equal(batch?.kind, MUX_BATCH);
    const inner = muxBatchFrames(batch!);
    assert.deepEqual(
      inner?.map((f) => [f.kind, f.id, f.header.toString(), f.body.toString('hex')]),
      [
        [MUX_OK, 1, '', '010101'],
        [MUX_CALL, 2, '{"m":"x"}', Buffer.from('body').toString('hex')],
        [MUX_OK, 3, '', ''],
      ],
    );
  });

  test('a stream message is read as its frames: a lone frame, or the frames of a batch', () => {
    assert.deepEqual(
      parseMuxFrames(frame(4))?.map((f) => f.id),
      [4],
    );
    assert.deepEqual(
      parseMuxFrames(encodeMuxBatch([frame(1), frame(2)]))?.map((f) => f.id),
      [1, 2],
    );
    assert.equal(parseMuxFrames(Buffer.alloc(3)), undefined, 'too short to be a frame');
    assert.equal(parseMuxFrames(encodeMuxBatch([frame(1)]).subarray(0, 12)), undefined, 'a cut batch');
  });

  test('a batch that does not divide into whole frames is not read', () => {
    const whole = encodeMuxBatch([frame(1), frame(2)]);
    for (const cut of [whole.length - 1, whole.length - 5, 12]) {
      const batch = parseMuxFrame(whole.subarray(0, cut));
      assert.equal(batch && muxBatchFrames(batch), undefined, `cut at ${cut}`);
    }
    const nested = parseMuxFrame(encodeMuxBatch([encodeMuxBatch([frame(1)])]));
    assert.equal(muxBatchFrames(nested!), undefined, 'a batch inside a batch');
  });
});

describe('MuxFrameBatcher', () => {
  test('writes each frame at once until the peer reads batches', () => {
    const written: Buffer[] = [];
    const batcher = new MuxFrameBatcher((bytes) => written.push(bytes));
    batcher.push(frame(1));
    batcher.push(frame(2));
    assert.deepEqual(idsOf(written), [[1], [2]]);
  });

  test('then the frames of one turn leave as one message, a lone frame as itself', async () => {
    const written: Buffer[] = [];
    const batcher = new MuxFrameBatcher((bytes) => written.push(bytes));
    batcher.enableBatching();
    for (const id of [1, 2, 3]) batcher.push(frame(id));
    assert.equal(written.length, 0, 'nothing before the turn ends');
    await nextTurn();
    batcher.push(frame(4));
    await nextTurn();
    assert.deepEqual(idsOf(written), [[1, 2, 3], [4]]);
    assert.equal(written[1]?.[0], MUX_OK, 'a lone frame is not wrapped');
  });

  test('a large frame goes alone, after what was queued before it', async () => {
    const written: Buffer[] = [];
    const batcher = new MuxFrameBatcher((bytes) => written.push(bytes));
    batcher.enableBatching();
    batcher.push(frame(1));
    batcher.push(frame(2, 300 * 1024));
    batcher.push(frame(3));
    assert.deepEqual(idsOf(written), [[1], [2]]);
    await nextTurn();
    assert.deepEqual(idsOf(written), [[1], [2], [3]]);
  });

  test('a batch is written once it reaches its size, without waiting for the turn', () => {
    const written: Buffer[] = [];
    const batcher = new MuxFrameBatcher((bytes) => written.push(bytes));
    batcher.enableBatching();
    for (let id = 1; id <= 3; id++) batcher.push(frame(id, 100 * 1024));
    assert.deepEqual(idsOf(written), [[1, 2, 3]]);
  });

  test('flush writes what is queued; after close nothing is written', async () => {
    const written: Buffer[] = [];
    const batcher = new MuxFrameBatcher((bytes) => written.push(bytes));
    batcher.enableBatching();
    batcher.push(frame(1));
    batcher.flush();
    assert.deepEqual(idsOf(written), [[1]]);
    batcher.push(frame(2));
    batcher.close();
    batcher.push(frame(3));
    await nextTurn();
    assert.deepEqual(idsOf(written), [[1]]);
  });
});
