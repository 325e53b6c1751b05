import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { upstreamExchangeBytes } from './logs/upstream-exchanges-text.js';
import { captureUpstreamExchange, MAX_CAPTURED_RESPONSE_BYTES, type UpstreamCaptureSink } from './upstream-capture.js';

test('upstream capture: keeps the request by reference, chunks buffered before and pushed after, the consumer reads them all', async () => {
  const sink: UpstreamCaptureSink = { provider: 'oai', model: 'gpt-x', exchanges: [] };
  const requestBody = Buffer.from('{"model":"gpt-x"}');
  const body = new Readable({ read() {} });
  body.push(Buffer.from('data: one\n\n')); // parsed with the headers, before anyone reads
  captureUpstreamExchange(sink, new URL('http://127.0.0.1:1/v1/chat/completions?key=secret'), requestBody).response(200, 'text/event-stream', body);
  body.push(Buffer.from('data: two\n\n'));
  body.push(null);
  const read: Buffer[] = [];
  for await (const chunk of body) read.push(chunk as Buffer);
  assert.equal(Buffer.concat(read).toString(), 'data: one\n\ndata: two\n\n', 'the consumer is unaffected');
  const [exchange] = sink.exchanges;
  assert.equal(exchange.request, requestBody, 'the very Buffer sent');
  assert.deepEqual(upstreamExchangeBytes(sink.exchanges, undefined), [
    {
      provider: 'oai',
      model: 'gpt-x',
      url: 'http://127.0.0.1:1/v1/chat/completions',
      request: requestBody,
      status: 200,
      contentType: 'text/event-stream',
      response: Buffer.from('data: one\n\ndata: two\n\n'),
      truncated: false,
    },
  ]);
  // the caller's own bytes sent unchanged (passthrough) are marked, not decoded and stored again
  const [passthrough] = upstreamExchangeBytes(sink.exchanges, Buffer.from('{"model":"gpt-x"}'));
  assert.equal(passthrough.requestIsInbound, true);
  assert.equal(passthrough.request.length, 0);
});

test('upstream capture: a response over the cap is kept up to it and marked truncated', () => {
  const sink: UpstreamCaptureSink = { provider: 'oai', model: 'gpt-x', exchanges: [] };
  const body = new Readable({ read() {} });
  captureUpstreamExchange(sink, new URL('http://127.0.0.1:1/'), undefined).response(200, undefined, body);
  const piece = Buffer.alloc(1024 * 1024, 0x61);
  for (let count = 0; count < 9; count += 1) body.push(piece);
  const [exchange] = sink.exchanges;
  assert.equal(exchange.responseBytes, MAX_CAPTURED_RESPONSE_BYTES);
  assert.equal(exchange.truncated, true);
  body.destroy();
});
