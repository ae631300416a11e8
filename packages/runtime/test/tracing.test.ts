// startTraceExport: the OTLP/HTTP URL it posts to, the spans it exports (protobuf, with the process's resource),
// and one shared provider for several servers in a process, stopped by the last.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { createLogger, otlpTracesUrl, startTraceExport } from '../src/index.js';

describe('otlpTracesUrl', () => {
  test('a bare origin gets /v1/traces; a URL with a path is used as it is', () => {
    assert.equal(otlpTracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
    assert.equal(otlpTracesUrl('http://collector:4318/'), 'http://collector:4318/v1/traces');
    assert.equal(otlpTracesUrl('https://otel.example/custom/traces'), 'https://otel.example/custom/traces');
  });
});

describe('startTraceExport', () => {
  test('exports the spans of the process to the collector until the last user shuts it down', async () => {
    const posts: { url: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', () => resolve()));
    const address = collector.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const states: boolean[] = [];
    const options = {
      endpoint: `http://127.0.0.1:${port}`,
      serviceName: 'odin-test-service',
      instanceId: 'host-under-test',
      logger: createLogger({ level: 'silent' }),
      onActive: (active: boolean) => states.push(active),
    };
    try {
      const first = await startTraceExport(options);
      const second = await startTraceExport(options);
      assert.deepEqual(states, [true], 'one provider for the process');
      trace.getTracer('test').startSpan('span-before-first-shutdown').end();
      await first.shutdown();
      assert.deepEqual(states, [true], 'still exporting while another user remains');
      trace.getTracer('test').startSpan('span-after-first-shutdown').end();
      await second.shutdown();
      assert.deepEqual(states, [true, false]);

      const body = Buffer.concat(posts.map((post) => post.body)).toString('latin1');
      assert.ok(posts.length > 0, 'the collector was called');
      for (const post of posts) {
        assert.equal(post.url, '/v1/traces');
        assert.equal(post.headers['content-type'], 'application/x-protobuf');
      }
      for (const text of [
        'span-before-first-shutdown',
        'span-after-first-shutdown',
        'odin-test-service',
        'host-under-test',
      ]) {
        assert.ok(body.includes(text), `${text} was exported`);
      }
      // After the last shutdown nothing records: the API is back to its no-op provider.
      assert.equal(trace.getTracer('test').startSpan('ignored').isRecording(), false);
    } finally {
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });
});
