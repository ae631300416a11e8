// Committed events are encoded once: responses that carry them reuse the remembered bytes (util/codec.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { msToTimestamp, temporal } from '@odin/api';
import { encodedEventSize, encodeEvent, type HistoryEvent, rememberEncoding } from '../src/util/codec.js';

const EventType = temporal.api.enums.v1.EventType;
const Response = temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;

function events(): HistoryEvent[] {
  return [
    {
      eventId: 1,
      eventTime: msToTimestamp(1_000),
      eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'w' },
        taskQueue: { name: 'q' },
        input: {
          payloads: [{ metadata: { encoding: new Uint8Array([1]) }, data: new Uint8Array(300).fill(7) }],
        },
      },
    },
    {
      eventId: 2,
      eventTime: msToTimestamp(1_001),
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      workflowTaskScheduledEventAttributes: { taskQueue: { name: 'q' }, attempt: 1 },
    },
  ];
}

function responseBytes(history: HistoryEvent[]): Uint8Array {
  const value = { taskToken: new Uint8Array([9]), startedEventId: 3, history: { events: history } };
  return Response.encode(Response.fromObject(value)).finish();
}

// First in this file, so that HistoryEvent is still untouched: the reuse must hold when a response, not an event on
// its own, is what sets up HistoryEvent's codec (set up on first use, not at import, for start-up time).
test('HistoryEvent is set up on first use, and a response that does it writes the remembered bytes', () => {
  const type = temporal.api.history.v1.HistoryEvent;
  assert.equal(Object.hasOwn(type, 'encode'), false, 'HistoryEvent was set up when its module was imported');
  const [event] = events();
  const marker = new Uint8Array([0x08, 41]); // eventId = 41, written by hand: nothing encodes an event before
  rememberEncoding(event!, marker);
  const decoded = Response.decode(responseBytes([event!]));
  assert.equal(Number(decoded.history?.events?.[0]?.eventId), 41);
  assert.equal(Object.hasOwn(type, 'encode'), true);
});

test('a response holding remembered events encodes to the same bytes as one encoding them afresh', () => {
  const fresh = responseBytes(events());
  const remembered = events();
  for (const event of remembered) rememberEncoding(event, encodeEvent(event));
  assert.deepEqual(Buffer.from(responseBytes(remembered)), Buffer.from(fresh));
  assert.equal(encodedEventSize(remembered[0]!), encodeEvent(events()[0]!).length);
});

test('the remembered bytes are what goes out: an event is not encoded again', () => {
  const [event] = events();
  // Stands for bytes written earlier: what a response carries must be exactly these, not a new encoding.
  const marker = encodeEvent({ ...event!, eventId: 41 });
  rememberEncoding(event!, marker);
  const decoded = Response.decode(responseBytes([event!]));
  assert.equal(Number(decoded.history?.events?.[0]?.eventId), 41);
  assert.equal(encodedEventSize(event!), marker.length);
});

test('events without a remembered encoding are encoded by protobufjs as before', () => {
  const plain = events();
  const decoded = Response.decode(responseBytes(plain));
  assert.deepEqual(
    decoded.history?.events?.map((e) => Number(e.eventId)),
    [1, 2],
  );
  assert.equal(encodedEventSize(plain[1]!), encodeEvent(plain[1]!).length);
});
