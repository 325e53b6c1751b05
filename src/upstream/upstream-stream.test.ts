import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProviderCallError } from '../core/errors.js';
import type { CapturedUpstreamExchange } from '../observability/upstream-capture.js';
import { startMockUpstream, type MockUpstream } from '../testing/mock-upstream.js';
import type { UpstreamHttpRequest } from './upstream-http.js';
import { openUpstreamStream, type UpstreamStreamResponse } from './upstream-stream.js';

const TIMEOUTS = { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 };

function upstreamRequest(mock: MockUpstream, path: string, signal: AbortSignal = new AbortController().signal, extra: Partial<UpstreamHttpRequest> = {}): UpstreamHttpRequest {
  return { provider: 'mock', url: new URL(`${mock.url}${path}`), headers: { 'content-type': 'application/json' }, body: '{"hello":"upstream"}', signal, timeouts: TIMEOUTS, ...extra };
}

/** Reads the whole body through `consume`: the chunks' text, or the error it ended with. */
function consumeAll(response: UpstreamStreamResponse): Promise<{ text: string; error?: ProviderCallError }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    response.consume({
      data: (chunk) => chunks.push(chunk),
      end: () => resolve({ text: Buffer.concat(chunks).toString('utf8') }),
      error: (error) => resolve({ text: Buffer.concat(chunks).toString('utf8'), error }),
    });
  });
}

describe('openUpstreamStream', () => {
  let mock: MockUpstream;
  /** Resolves when the mock sees the client close its connection mid-answer. */
  let closed: Promise<void> = Promise.resolve();

  before(async () => {
    mock = await startMockUpstream((request, response) => {
      switch (request.url) {
        case '/events':
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          for (const piece of ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', 'data: [DONE]\n\n']) response.write(piece);
          response.end();
          return;
        case '/error':
          response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
          response.end('{"error":{"message":"slow down"}}');
          return;
        case '/broken':
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: {"n":1}\n\n', () => setTimeout(() => response.socket?.destroy(), 20));
          return;
        case '/hang':
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: {"n":1}\n\n');
          closed = new Promise((resolve) => response.on('close', () => resolve()));
          return; // never ends
        default:
          response.writeHead(404);
          response.end();
      }
    });
  });
  after(() => mock.close());

  it('delivers the chunks that arrived before consume() and the rest in order, then ends; the request went out as given', async () => {
    const response = await openUpstreamStream(upstreamRequest(mock, '/events'));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/event-stream');
    // the whole answer is in by now: everything was buffered for the consumer
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { text, error } = await consumeAll(response);
    assert.equal(error, undefined);
    assert.equal(text, 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    const sent = mock.requests.at(-1);
    assert.equal(sent?.method, 'POST');
    assert.deepEqual(sent?.json, { hello: 'upstream' });
  });

  it('reads an error status body as text, headers included', async () => {
    const response = await openUpstreamStream(upstreamRequest(mock, '/error'));
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers['retry-after'], '7');
    assert.equal(await response.text(), '{"error":{"message":"slow down"}}');
  });

  it('ends the body with a non-retryable abort error and closes the upstream connection when the caller goes away', async () => {
    const controller = new AbortController();
    const response = await openUpstreamStream(upstreamRequest(mock, '/hang', controller.signal));
    const result = consumeAll(response);
    setTimeout(() => controller.abort(), 20);
    const { text, error } = await result;
    assert.equal(text, 'data: {"n":1}\n\n');
    assert.ok(error instanceof ProviderCallError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /aborted/);
    await closed;
  });

  it('ends the body with a retryable ProviderCallError when the upstream connection breaks mid-body', async () => {
    const response = await openUpstreamStream(upstreamRequest(mock, '/broken'));
    const { text, error } = await consumeAll(response);
    assert.equal(text, 'data: {"n":1}\n\n');
    assert.ok(error instanceof ProviderCallError);
    assert.equal(error.retryable, true);
    assert.doesNotMatch(error.message, /aborted/);
  });

  it('stops reading (connection closed) when the consumer throws, and reports nothing more to it', async () => {
    const response = await openUpstreamStream(upstreamRequest(mock, '/hang'));
    const calls: string[] = [];
    response.consume({
      data: () => {
        calls.push('data');
        throw new Error('malformed event');
      },
      end: () => calls.push('end'),
      error: () => calls.push('error'),
    });
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(calls, ['data']);
  });

  it('rejects with a retryable ProviderCallError when the upstream cannot be reached, and at once for an aborted signal', async () => {
    const refused = upstreamRequest(mock, '/events');
    refused.url = new URL('http://127.0.0.1:9/chat/completions');
    await assert.rejects(openUpstreamStream(refused), (error: unknown) => error instanceof ProviderCallError && error.retryable && /could not reach mock/.test(error.message));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(openUpstreamStream(upstreamRequest(mock, '/events', controller.signal)), ProviderCallError);
  });

  it('captures the exchange for the request log when asked (request, status, content type, raw chunks)', async () => {
    const exchanges: CapturedUpstreamExchange[] = [];
    const response = await openUpstreamStream(upstreamRequest(mock, '/events', undefined, { capture: { provider: 'mock', model: 'm', exchanges } }));
    await consumeAll(response);
    assert.equal(exchanges.length, 1);
    const [exchange] = exchanges;
    assert.equal(exchange.request, '{"hello":"upstream"}');
    assert.equal(exchange.status, 200);
    assert.equal(exchange.contentType, 'text/event-stream');
    assert.equal(Buffer.concat(exchange.responseChunks).toString('utf8'), 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
    assert.equal(exchange.url, `${mock.url}/events`);
  });
});
