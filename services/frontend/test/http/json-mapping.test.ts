// Path templates, request field binding and Temporal's payload shorthand, without a server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { protoRoot } from '@odin/api';
import { requestFromJson, responseToJson } from '../../src/http/json-codec.js';
import { matchPathTemplate, parsePathTemplate } from '../../src/http/path-template.js';
import { bindQueryParameters } from '../../src/http/request-fields.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('path templates', () => {
  test('simple and dotted variables, percent-decoded per segment', () => {
    const t = parsePathTemplate('/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}/history');
    assert.deepEqual(
      Object.fromEntries(matchPathTemplate(t, '/api/v1/namespaces/ns%201/workflows/a%2Fb/history')!),
      { namespace: 'ns 1', 'execution.workflow_id': 'a/b' },
    );
    assert.equal(matchPathTemplate(t, '/api/v1/namespaces/ns/workflows/a/b/history'), undefined);
    assert.equal(matchPathTemplate(t, '/api/v1/namespaces//workflows/a/history'), undefined);
  });

  test('{name=pattern} variables cover several segments; ** takes the rest; :verb suffixes', () => {
    const named = parsePathTemplate('/v1/{name=namespaces/*/schedules/*}:patch');
    assert.deepEqual(Object.fromEntries(matchPathTemplate(named, '/v1/namespaces/a/schedules/b:patch')!), {
      name: 'namespaces/a/schedules/b',
    });
    assert.equal(matchPathTemplate(named, '/v1/namespaces/a/schedules/b'), undefined);
    assert.equal(matchPathTemplate(named, '/v1/other/a/schedules/b:patch'), undefined);
    const rest = parsePathTemplate('/files/{path=**}');
    assert.deepEqual(Object.fromEntries(matchPathTemplate(rest, '/files/a/b/c')!), { path: 'a/b/c' });
    assert.throws(() => parsePathTemplate('/a/**/b'), /must be last/);
    assert.throws(() => parsePathTemplate('/a/{x'), /unclosed/);
  });
});

describe('query parameters', () => {
  test('dotted paths by JSON or proto name, repeated fields, enums and bools; unknown ones are ignored', () => {
    const type = protoRoot.lookupType('temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest');
    const json = {};
    bindQueryParameters(
      type,
      json,
      new URLSearchParams(
        'execution.run_id=r1&maximumPageSize=5&waitNewEvent=true&historyEventFilterType=2&nonsense=1&pretty',
      ),
    );
    assert.deepEqual(json, {
      execution: { runId: 'r1' },
      maximumPageSize: 5,
      waitNewEvent: true,
      historyEventFilterType: 2,
    });
  });
});

describe('payload shorthand', () => {
  const history = protoRoot.lookupType('temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse');
  const payload = (encoding: string, data: string, extra: Record<string, string> = {}) => ({
    metadata: Object.fromEntries(Object.entries({ encoding, ...extra }).map(([k, v]) => [k, Buffer.from(v)])),
    data: Buffer.from(data),
  });

  test('json/plain, binary/null and json/protobuf payloads are shown as JSON; others in the standard form', () => {
    const json = responseToJson(
      history,
      {
        history: {
          events: [
            {
              eventId: 1,
              eventType: 1,
              workflowExecutionStartedEventAttributes: {
                input: {
                  payloads: [
                    payload('json/plain', '{"x":1}'),
                    payload('binary/null', ''),
                    payload('json/protobuf', '{"name":"t"}', {
                      messageType: 'temporal.api.common.v1.WorkflowType',
                    }),
                  ],
                },
                header: { fields: { raw: payload('binary/plain', 'abc') } },
              },
            },
            {
              eventId: 2,
              eventType: 2,
              workflowExecutionCompletedEventAttributes: {
                result: { payloads: [payload('json/plain', '2'), payload('binary/plain', 'zz')] },
              },
            },
          ],
        },
      },
      { payloadShorthand: true },
    ) as { history: { events: Record<string, Record<string, unknown>>[] } };
    const [started, completed] = json.history.events;
    assert.equal(started!.eventId as unknown, '1');
    assert.deepEqual(started!.workflowExecutionStartedEventAttributes!.input, [
      { x: 1 },
      null,
      { name: 't', _protoMessageType: 'temporal.api.common.v1.WorkflowType' },
    ]);
    assert.deepEqual(started!.workflowExecutionStartedEventAttributes!.header, {
      fields: { raw: { metadata: { encoding: b64('binary/plain') }, data: b64('abc') } },
    });
    // One payload without a shorthand keeps the list in the standard form (the others still shortened).
    assert.deepEqual(completed!.workflowExecutionCompletedEventAttributes!.result, {
      payloads: [2, { metadata: { encoding: b64('binary/plain') }, data: b64('zz') }],
    });
  });

  test('requests accept shorthand and the standard form alike, and round-trip', () => {
    const type = protoRoot.lookupType('temporal.api.workflowservice.v1.SignalWorkflowExecutionRequest');
    const message = requestFromJson(
      type,
      {
        input: [
          'text',
          { metadata: { encoding: b64('binary/plain') }, data: b64('raw') },
          { a: 1, _protoMessageType: 'x.Y' },
        ],
      },
      { payloadShorthand: true },
    ) as unknown as { input: { payloads: { metadata: Record<string, Uint8Array>; data: Uint8Array }[] } };
    const [text, raw, proto] = message.input.payloads;
    assert.equal(Buffer.from(text!.metadata.encoding!).toString(), 'json/plain');
    assert.equal(Buffer.from(text!.data).toString(), '"text"');
    assert.equal(Buffer.from(raw!.metadata.encoding!).toString(), 'binary/plain');
    assert.equal(Buffer.from(raw!.data).toString(), 'raw');
    assert.equal(Buffer.from(proto!.metadata.messageType!).toString(), 'x.Y');
    assert.equal(Buffer.from(proto!.data).toString(), '{"a":1}');
    const back = responseToJson(type, message, { payloadShorthand: true }) as { input: unknown };
    assert.deepEqual(back.input, {
      payloads: [
        'text',
        { metadata: { encoding: b64('binary/plain') }, data: b64('raw') },
        { a: 1, _protoMessageType: 'x.Y' },
      ],
    });
  });

  test('without shorthand a request payload must be in the standard form', () => {
    const type = protoRoot.lookupType('temporal.api.workflowservice.v1.SignalWorkflowExecutionRequest');
    assert.throws(() => requestFromJson(type, { input: ['text'] }, { payloadShorthand: false }), /Payloads/);
  });
});
