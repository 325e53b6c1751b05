import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoggedUpstreamExchange } from '../upstream-capture.js';
import { decodeUpstreamExchanges, encodeUpstreamExchanges, loggedExchangeBytes, upstreamExchangeBytes } from './upstream-exchanges-text.js';

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
    provider: 'gröq ⎿', // non-ASCII in the header line too
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

/** The stored body as the database gives it back: text. */
function stored(exchangesToStore: readonly LoggedUpstreamExchange[]): string {
  return encodeUpstreamExchanges(loggedExchangeBytes(exchangesToStore)).toString('utf8');
}

test('upstream exchanges round-trip through their stored text, texts kept as they are (not escaped again)', () => {
  const text = stored(exchanges);
  assert.ok(text.startsWith('heimdall-upstream/2\n'));
  assert.deepEqual(decodeUpstreamExchanges(text), exchanges);
  // the request text is stored verbatim, not as an escaped JSON string
  assert.ok(text.includes(exchanges[0].request));
  assert.ok(!text.includes(JSON.stringify(exchanges[0].request).slice(1, -1)), 'not escaped a second time');
  assert.deepEqual(decodeUpstreamExchanges(stored([])), []);
});

test('captured bytes are stored without decoding; bytes that are not UTF-8 are stored as their decoding', () => {
  const request = Buffer.from('{"model":"gpt-x","text":"é ⎿"}');
  const binary = Buffer.from([0x00, 0x00, 0x00, 0x2a, 0xff, 0xfe, 0x7b, 0x7d]); // an AWS event-stream frame is not UTF-8
  const captured = [
    { provider: 'oai', model: 'gpt-x', url: 'http://127.0.0.1:1/v1/chat/completions', request, status: 200, contentType: 'text/event-stream', responseChunks: [Buffer.from('data: "é'), Buffer.from([0xe2, 0x8e]), Buffer.from([0xbf]), Buffer.from('"\n\n')], responseBytes: 0, truncated: false },
    { provider: 'bedrock', model: 'claude', url: 'http://127.0.0.1:2/model/x/invoke-with-response-stream', request: '{"a":1}', status: 200, responseChunks: [binary], responseBytes: 8, truncated: false },
  ];
  const bytes = upstreamExchangeBytes(captured, undefined);
  assert.equal(bytes[0].request, request, 'the very Buffer sent, not a copy or a decoding');
  const [first, second] = decodeUpstreamExchanges(encodeUpstreamExchanges(bytes).toString('utf8'));
  assert.equal(first.request, request.toString('utf8'));
  assert.equal(first.response, 'data: "é⎿"\n\n', 'a character split across chunks is whole');
  assert.equal(second.request, '{"a":1}');
  assert.equal(second.response, binary.toString('utf8').replaceAll('\u0000', '\ufffd'), 'replacement characters for the bytes that are not UTF-8 text');
});

test('a NUL in any text is stored as a replacement character (PostgreSQL text cannot hold one)', () => {
  const [exchange] = decodeUpstreamExchanges(stored([{ provider: 'p', model: 'm', url: 'u', request: 'a\u0000b', response: '\u0000', truncated: false }]));
  assert.equal(exchange.request, 'a\ufffdb');
  assert.equal(exchange.response, '\ufffd');
  const captured = [{ provider: 'p', model: 'm', url: 'u', request: 'x\u0000', responseChunks: [], responseBytes: 0, truncated: false }];
  assert.equal(decodeUpstreamExchanges(encodeUpstreamExchanges(upstreamExchangeBytes(captured, undefined)).toString('utf8'))[0].request, 'x\ufffd');
});

test('bodies stored in the earlier formats are still read', () => {
  assert.deepEqual(decodeUpstreamExchanges(JSON.stringify(exchanges)), exchanges);
  // heimdall-upstream/1: lengths in UTF-16 code units
  const headers = exchanges.map(({ request, response, ...metadata }) => ({ ...metadata, requestLength: request.length, responseLength: response.length }));
  const v1 = `heimdall-upstream/1\n${JSON.stringify(headers)}\n${exchanges.map((exchange) => exchange.request + exchange.response).join('')}`;
  assert.deepEqual(decodeUpstreamExchanges(v1), exchanges);
  assert.equal(decodeUpstreamExchanges('heimdall-upstream/1\n[{"provider":"anthropic","model":"m","url":"u","truncated":false,"requestLength":0,"responseLength":2,"requestIsInbound":true}]\nok', '{"in":1}')[0].request, '{"in":1}');
});

test('a stored text whose lengths do not match, or whose header is broken, is an error rather than wrong data', () => {
  const text = stored(exchanges);
  assert.throws(() => decodeUpstreamExchanges(text.slice(0, -1)), /do not match/);
  assert.throws(() => decodeUpstreamExchanges(`${text}x`), /do not match/);
  assert.throws(() => decodeUpstreamExchanges('heimdall-upstream/2\n[{"provider":"x"}]\n'), /malformed header/);
  assert.throws(() => decodeUpstreamExchanges('heimdall-upstream/2\n[{"prov'), /not complete/);
  assert.throws(() => decodeUpstreamExchanges('heimdall-upstream/1\n[{"provider":"x"}]\n'), /malformed header/);
});

test('a request marked as the caller\'s own body is read back from the record\'s request body', () => {
  const inbound = '{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hi ⎿"}]}';
  const captured = [{ provider: 'anthropic', model: 'claude-sonnet-4-6', url: 'https://api.anthropic.com/v1/messages', request: Buffer.from(inbound), status: 200, responseChunks: [Buffer.from('event: message_stop\ndata: {}\n\n')], responseBytes: 30, truncated: false }];
  const text = encodeUpstreamExchanges(upstreamExchangeBytes(captured, Buffer.from(inbound))).toString('utf8');
  assert.ok(!text.includes('claude-sonnet-4-6","messages'), 'the request is not stored a second time');
  const [exchange] = decodeUpstreamExchanges(text, inbound);
  assert.equal(exchange.request, inbound);
  assert.equal('requestIsInbound' in exchange, false, 'the API shape is unchanged');
  assert.equal(exchange.response, 'event: message_stop\ndata: {}\n\n');
});
