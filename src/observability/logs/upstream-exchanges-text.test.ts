import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoggedUpstreamExchange } from '../upstream-capture.js';
import { decodeUpstreamExchanges, encodeUpstreamExchanges } from './upstream-exchanges-text.js';

const exchanges: LoggedUpstreamExchange[] = [
  {
    provider: 'openai',
    model: 'gpt-5',
    url: 'https://api.openai.com/v1/chat/completions',
    request: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'héllo — "quoted"\nnew line 🦊 ⎿' }] }),
    status: 503,
    contentType: 'application/json',
    response: '{"error":{"message":"overloaded"}}',
    truncated: false,
  },
  {
    provider: 'groq',
    model: 'llama',
    url: 'https://api.groq.com/openai/v1/chat/completions',
    request: '{"model":"llama","stream":true}',
    status: 200,
    contentType: 'text/event-stream',
    response: 'data: {"choices":[{"delta":{"content":"ünïcödé 🦊"}}]}\n\ndata: [DONE]\n\n',
    truncated: true,
  },
  // a network failure: no status, no response
  { provider: 'mistral', model: 'm', url: 'https://api.mistral.ai/v1/chat/completions', request: '', response: '', truncated: false },
];

test('upstream exchanges round-trip through their stored text, texts kept as they are (not escaped again)', () => {
  const text = encodeUpstreamExchanges(exchanges);
  assert.deepEqual(decodeUpstreamExchanges(text), exchanges);
  // the request text is stored verbatim, not as an escaped JSON string
  assert.ok(text.includes(exchanges[0].request));
  assert.ok(!text.includes(JSON.stringify(exchanges[0].request).slice(1, -1)), 'not escaped a second time');
  assert.deepEqual(decodeUpstreamExchanges(encodeUpstreamExchanges([])), []);
});

test('bodies stored before the format (a JSON array) are still read', () => {
  assert.deepEqual(decodeUpstreamExchanges(JSON.stringify(exchanges)), exchanges);
});

test('a stored text whose lengths do not match, or whose header is broken, is an error rather than wrong data', () => {
  const text = encodeUpstreamExchanges(exchanges);
  assert.throws(() => decodeUpstreamExchanges(text.slice(0, -1)), /do not match/);
  assert.throws(() => decodeUpstreamExchanges(`${text}x`), /do not match/);
  assert.throws(() => decodeUpstreamExchanges('heimdall-upstream/1\n[{"provider":"x"}]\n'), /malformed header/);
  assert.throws(() => decodeUpstreamExchanges('heimdall-upstream/1\n[{"prov'), /not complete/);
});

test('a request marked as the caller\'s own body is read back from the record\'s request body', () => {
  const inbound = '{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hi ⎿"}]}';
  const text = encodeUpstreamExchanges([{ provider: 'anthropic', model: 'claude-sonnet-4-6', url: 'https://api.anthropic.com/v1/messages', request: '', requestIsInbound: true, status: 200, response: 'event: message_stop\ndata: {}\n\n', truncated: false }]);
  assert.ok(!text.includes('claude-sonnet-4-6","messages'), 'the request is not stored a second time');
  const [exchange] = decodeUpstreamExchanges(text, inbound);
  assert.equal(exchange.request, inbound);
  assert.equal('requestIsInbound' in exchange, false, 'the API shape is unchanged');
  assert.equal(exchange.response, 'event: message_stop\ndata: {}\n\n');
});
