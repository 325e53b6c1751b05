/**
 * Routing, fallbacks, retries, keep-alive pings, key health and thinking across providers, as a
 * client of `/anthropic/v1/messages` sees them: the official Anthropic SDK (maxRetries: 0, so every
 * retry seen is the gateway's) and raw `fetch` for headers and SSE framing, against mock upstreams
 * on 127.0.0.1 that fail in the ways real providers do.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { buildGatewaySettings } from '../src/config/gateway-settings.js';
import { createRoutingRuntime } from '../src/routing/routing-runtime.js';
import { startGateway, type RunningGateway } from '../src/start-gateway.js';
import { anthropicTextEvents, anthropicTextMessage, writeAnthropicError, writeAnthropicSse } from '../src/testing/anthropic-sse.js';
import { readSharedFixture, skipWithoutSharedFixtures } from '../src/testing/fixtures.js';
import { startMockUpstream, type MockHandler, type MockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { openAiChatChunk, openAiChatCompletion, openAiChatStreamChunks, openAiSseFrame, openAiUsage, writeOpenAiChatSse, writeOpenAiError } from '../src/testing/openai-chat-sse.js';
import { seededRandom } from '../src/testing/seeded-random.js';
import { rejectionOf, withTimeout } from '../src/testing/with-timeout.js';

/** Limit for anything that should settle almost at once; only a hang reaches it. */
const GUARD_MS = 20_000;
const ANTHROPIC_SIGNATURE = 'EqQBCkgIARABGAIiQL2n0Xx5Qf9cOaKz+qH1Yb/Rz0Qv6VrMe9s3m4r2L8wZ=';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fast retries for tests: 1 retry, at most 5 ms backoff, retry-after honoured up to 50 ms. */
const fastRetries = { max_retries: 1, initial_backoff_ms: 1, max_backoff_ms: 5, max_retry_after_ms: 50 };

interface Harness {
  primary: MockUpstream;
  backup: MockUpstream;
  gateway: RunningGateway;
  client: Anthropic;
  /** Moves the gateway's routing clock (circuit breaker cool-downs), ms. */
  advanceClock(ms: number): void;
}

/**
 * A gateway with two mock upstreams: `primary` (OpenAI Chat Completions, provider `primary`) and
 * `backup` (Anthropic Messages, provider `backup`), plus whatever `extra` config adds. The routing
 * clock can be moved forward (circuit-breaker cool-downs) without waiting.
 */
async function startHarness(
  t: TestContext,
  handlers: { primary: MockHandler; backup?: MockHandler },
  extra: (primary: MockUpstream, backup: MockUpstream) => Partial<HeimdallConfig> = () => ({}),
): Promise<Harness> {
  const primary = await startMockUpstream(handlers.primary);
  const backup = await startMockUpstream(handlers.backup ?? ((request, response) => answerAnthropic(request, response, 'Hello from the backup')));
  const more = extra(primary, backup);
  const config: HeimdallConfig = {
    providers: {
      primary: { type: 'openai', base_url: `${primary.url}/v1`, keys: [{ name: 'primary-key', value: 'sk-primary' }] },
      backup: { type: 'anthropic', base_url: backup.url, keys: [{ name: 'backup-key', value: 'sk-ant-backup' }] },
      ...more.providers,
    },
    routing: { retries: fastRetries, stream_keepalive: { first_ping_ms: 50, ping_interval_ms: 50 }, ...more.routing },
    ...(more.aliases === undefined ? {} : { aliases: more.aliases }),
  };
  // The real clock plus what the test moved it by (keep-alive pings follow real time).
  let offsetMs = 0;
  const settings = buildGatewaySettings(config, {});
  settings.routing = createRoutingRuntime(settings.providers, config.routing, config.aliases, { now: () => Date.now() + offsetMs, random: seededRandom(3) });
  settings.port = 0;
  settings.host = '127.0.0.1';
  const gateway = await startGateway(settings);
  t.after(async () => {
    await primary.close();
    await backup.close();
    await gateway.close();
  });
  const client = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: 'sk-ant-client', maxRetries: 0, timeout: 60_000 });
  return { primary, backup, gateway, client, advanceClock: (ms) => (offsetMs += ms) };
}

async function answerAnthropic(request: RecordedRequest, response: ServerResponse, text: string): Promise<void> {
  const json = isRecord(request.json) ? request.json : {};
  const model = typeof json.model === 'string' ? json.model : 'unknown';
  if (json.stream === true) await writeAnthropicSse(response, anthropicTextEvents({ model, text }));
  else {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(anthropicTextMessage({ model, text })));
  }
}

async function answerOpenAi(request: RecordedRequest, response: ServerResponse, text: string): Promise<void> {
  if (isRecord(request.json) && request.json.stream === true) {
    await writeOpenAiChatSse(response, openAiChatStreamChunks({ model: 'gpt-test', text, usage: openAiUsage(10, 5) }));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text, usage: openAiUsage(10, 5) })));
}

function textOf(message: Anthropic.Message): string {
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

const hi = { max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

/** Posts a streamed request and returns the SSE text and response headers. */
async function postStream(gateway: RunningGateway, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client', ...headers },
    body: JSON.stringify({ ...hi, stream: true, ...body }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The text a stream's `text_delta` events add up to. */
function streamedText(sse: string): string {
  let text = '';
  for (const match of sse.matchAll(/^data: (.+)$/gm)) {
    const event = JSON.parse(match[1]) as { type?: string; delta?: { type?: string; text?: string } };
    if (event.type === 'content_block_delta' && event.delta?.type === 'text_delta') text += event.delta.text ?? '';
  }
  return text;
}

/** The SSE event names of a stream, in order. */
function eventNames(sse: string): string[] {
  return [...sse.matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
}

// ---------------------------------------------------------------------------------------------
// Fallbacks before the first byte
// ---------------------------------------------------------------------------------------------

for (const failure of [
  { name: '500', handler: (_request: RecordedRequest, response: ServerResponse) => writeOpenAiError(response, 500, 'The server had an error', { type: 'server_error' }) },
  {
    name: '429 with retry-after',
    handler: (_request: RecordedRequest, response: ServerResponse) => writeOpenAiError(response, 429, 'Rate limit reached', { type: 'requests', code: 'rate_limit_exceeded', headers: { 'retry-after': '30' } }),
  },
  { name: 'connection reset', handler: (_request: RecordedRequest, response: ServerResponse) => response.socket?.destroy() },
]) {
  test(`primary fails (${failure.name}) → the fallback named in the body serves the request, streamed and not`, async (t) => {
    const harness = await startHarness(t, { primary: failure.handler });
    const params = { model: 'primary/gpt-test', ...hi, fallbacks: ['backup/claude-sonnet-4-6'] } as Anthropic.MessageCreateParamsNonStreaming;
    const message = await withTimeout(harness.client.messages.create(params), GUARD_MS, 'create');
    assert.equal(textOf(message), 'Hello from the backup');
    const streamed = await withTimeout(harness.client.messages.stream(params).finalMessage(), GUARD_MS, 'stream');
    assert.equal(textOf(streamed), 'Hello from the backup');
    const primaryCalls = harness.primary.requests.length;
    assert.ok(primaryCalls >= 2, `the primary was tried for each request (${primaryCalls} calls)`);
    for (const request of harness.backup.requests) {
      assert.ok(isRecord(request.json));
      assert.equal(request.json.fallbacks, undefined, 'the fallbacks field is not forwarded');
      assert.equal(request.json.model, 'claude-sonnet-4-6');
      assert.equal(request.headers['x-api-key'], 'sk-ant-backup');
    }
  });
}

test('primary times out before the first byte → the fallback from x-heimdall-fallbacks serves, with headers naming it', async (t) => {
  const harness = await startHarness(
    t,
    { primary: () => new Promise<void>(() => undefined) },
    (primary) => ({ providers: { primary: { type: 'openai', base_url: `${primary.url}/v1`, keys: [{ value: 'sk-primary' }], timeouts: { first_byte_ms: 200 } } } }),
  );
  const response = await withTimeout(
    fetch(`${harness.gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-heimdall-fallbacks': 'backup/claude-sonnet-4-6' },
      body: JSON.stringify({ model: 'primary/gpt-test', ...hi }),
    }),
    GUARD_MS,
    'request',
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-heimdall-provider'), 'backup');
  assert.equal(response.headers.get('x-heimdall-model'), 'claude-sonnet-4-6');
  assert.equal(response.headers.get('x-heimdall-route'), 'default');
  assert.equal(response.headers.get('x-heimdall-attempts'), '3', 'two timed-out attempts at the primary, then the backup');
  const message = (await response.json()) as Anthropic.Message;
  assert.equal(textOf(message), 'Hello from the backup');
});

test('a rule\'s own fallbacks serve when its target fails; a 400 from the target is not retried', async (t) => {
  let mode: 'fail' | 'bad-request' = 'fail';
  const harness = await startHarness(
    t,
    {
      primary: (_request, response) =>
        mode === 'fail' ? writeOpenAiError(response, 503, 'overloaded', { type: 'server_error' }) : writeOpenAiError(response, 400, 'max_tokens is too large', { type: 'invalid_request_error' }),
    },
    () => ({
      routing: {
        retries: fastRetries,
        rules: [{ name: 'cheap-first', expression: 'model == "smart-model"', targets: [{ provider: 'primary', model: 'gpt-test' }], fallbacks: ['backup/claude-sonnet-4-6'] }],
      },
    }),
  );
  const message = await withTimeout(harness.client.messages.create({ model: 'smart-model', ...hi }), GUARD_MS, 'create');
  assert.equal(textOf(message), 'Hello from the backup');
  mode = 'bad-request';
  const before = harness.backup.requests.length;
  const error = await rejectionOf(harness.client.messages.create({ model: 'smart-model', ...hi }), GUARD_MS, 'bad request');
  assert.ok(error instanceof Anthropic.BadRequestError, `a 400 reaches the caller: ${String(error)}`);
  assert.match(error.message, /max_tokens is too large/, error.message);
  assert.equal(harness.backup.requests.length, before, 'no fallback for a request the provider refused as invalid');
});

// ---------------------------------------------------------------------------------------------
// After the first byte, and keep-alive pings
// ---------------------------------------------------------------------------------------------

test('a failure after the first byte is a clean SSE error event, and no fallback is tried', async (t) => {
  const harness = await startHarness(t, {
    primary: (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(openAiSseFrame(openAiChatChunk({ model: 'gpt-test' }, { role: 'assistant', content: '' })));
      response.write(openAiSseFrame(openAiChatChunk({ model: 'gpt-test' }, { content: 'The answer is' })));
      response.end(openAiSseFrame({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } }));
    },
  });
  const texts: string[] = [];
  const stream = harness.client.messages.stream({ model: 'primary/gpt-test', ...hi, fallbacks: ['backup/claude-sonnet-4-6'] } as Anthropic.MessageStreamParams);
  stream.on('text', (delta) => texts.push(delta));
  const error = await rejectionOf(stream.finalMessage(), GUARD_MS, 'finalMessage');
  assert.ok(error instanceof Anthropic.APIError, `the SSE error event becomes an APIError: ${String(error)}`);
  assert.deepEqual(texts, ['The answer is'], 'what arrived before the failure was delivered');
  assert.equal(harness.backup.requests.length, 0, 'no failover after the first byte');
  const raw = await postStream(harness.gateway, { model: 'primary/gpt-test' });
  assert.equal(raw.status, 200);
  const names = eventNames(raw.text);
  assert.equal(names[names.length - 1], 'error', 'the stream ends with an error event');
  assert.ok(!names.includes('message_stop'));
});

/** A promise and its resolver. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Reads a streamed response, resolving `pingSeen` at the first `event: ping`; returns the whole text. */
async function readWatchingForPing(response: Response, pingSeen: () => void): Promise<string> {
  assert.ok(response.body !== null);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
    if (text.includes('event: ping')) pingSeen();
  }
}

test('pings keep the connection alive while the primary waits, then fails, and the fallback answers in the same stream', async (t) => {
  const pingSeen = signal();
  const harness = await startHarness(t, {
    primary: async (_request, response) => {
      await pingSeen.promise;
      writeOpenAiError(response, 500, 'The server had an error', { type: 'server_error' });
    },
  });
  const response = await fetch(`${harness.gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-heimdall-fallbacks': 'backup/claude-sonnet-4-6' },
    body: JSON.stringify({ model: 'primary/gpt-test', ...hi, stream: true }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await withTimeout(readWatchingForPing(response, pingSeen.resolve), GUARD_MS, 'stream');
  const names = eventNames(text);
  assert.equal(names[0], 'ping', 'pings came first, while the upstream had not answered');
  assert.ok(names.indexOf('message_start') > 0, text);
  assert.equal(names[names.length - 1], 'message_stop');
  assert.equal(streamedText(text), 'Hello from the backup');
});

test('after pings committed the stream, a final failure is an SSE error event (status 200)', async (t) => {
  const pingSeen = signal();
  const harness = await startHarness(t, {
    primary: async (_request, response) => {
      await pingSeen.promise;
      writeOpenAiError(response, 503, 'Service unavailable', { type: 'server_error' });
    },
  });
  const response = await fetch(`${harness.gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'primary/gpt-test', ...hi, stream: true }),
  });
  assert.equal(response.status, 200);
  const text = await withTimeout(readWatchingForPing(response, pingSeen.resolve), GUARD_MS, 'stream');
  const names = eventNames(text);
  assert.equal(names[0], 'ping');
  assert.equal(names[names.length - 1], 'error');
  assert.match(text, /"type":"overloaded_error"/);
  assert.match(text, /Service unavailable/);
});

test('pings on the passthrough: the Anthropic upstream\'s own events follow the pings without a second set of headers', async (t) => {
  const pingSeen = signal();
  const harness = await startHarness(t, {
    primary: (request, response) => answerOpenAi(request, response, 'unused'),
    backup: async (request, response) => {
      await pingSeen.promise;
      await answerAnthropic(request, response, 'Slow hello');
    },
  });
  const response = await fetch(`${harness.gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'backup/claude-sonnet-4-6', ...hi, stream: true }),
  });
  const text = await withTimeout(readWatchingForPing(response, pingSeen.resolve), GUARD_MS, 'stream');
  const names = eventNames(text);
  assert.equal(names[0], 'ping');
  assert.deepEqual(names.filter((name) => name !== 'ping').slice(0, 1), ['message_start']);
  assert.ok(!text.includes('HTTP/1.1'), 'no second status line or headers in the body');
  assert.equal(streamedText(text), 'Slow hello');
});

// ---------------------------------------------------------------------------------------------
// Health-aware key selection
// ---------------------------------------------------------------------------------------------

test('circuit breaker: a failing key is skipped after N failures and probed back in after the cool-down', async (t) => {
  let keyAWorks = false;
  const keysSeen: string[] = [];
  const harness = await startHarness(
    t,
    {
      primary: async (request, response) => {
        const key = String(request.headers.authorization).replace('Bearer ', '');
        keysSeen.push(key);
        if (key === 'sk-a' && !keyAWorks) {
          writeOpenAiError(response, 401, 'Incorrect API key provided', { type: 'invalid_request_error', code: 'invalid_api_key' });
          return;
        }
        await answerOpenAi(request, response, `served by ${key}`);
      },
    },
    (primary) => ({
      providers: { primary: { type: 'openai', base_url: `${primary.url}/v1`, keys: [{ name: 'a', value: 'sk-a', weight: 10 }, { name: 'b', value: 'sk-b', weight: 1 }] } },
      routing: { retries: fastRetries, circuit_breaker: { failure_threshold: 2, cooldown_ms: 60_000 } },
    }),
  );
  const ask = async (): Promise<string> => textOf(await withTimeout(harness.client.messages.create({ model: 'primary/gpt-test', ...hi }), GUARD_MS, 'create'));
  for (let request = 0; request < 12; request += 1) assert.equal(await ask(), 'served by sk-b', 'every request succeeds: a 401 moves to the next key');
  assert.equal(keysSeen.filter((key) => key === 'sk-a').length, 2, 'after two failures key a is out of rotation');
  harness.advanceClock(60_000);
  keyAWorks = true;
  const answers: string[] = [];
  for (let request = 0; request < 12; request += 1) answers.push(await ask());
  assert.ok(answers.includes('served by sk-a'), `key a was probed back in: ${answers.join(', ')}`);
  assert.ok(answers.filter((answer) => answer === 'served by sk-a').length >= 6, 'and is back in the weighted rotation (weight 10 : 1)');
});

// ---------------------------------------------------------------------------------------------
// Rules, aliases, headers
// ---------------------------------------------------------------------------------------------

test('a rule routes a made-up model by user agent; x-heimdall-route names it; aliases and count_tokens follow the same routing', async (t) => {
  const harness = await startHarness(
    t,
    { primary: (request, response) => answerOpenAi(request, response, 'Hello from the primary') },
    () => ({
      aliases: { 'haiku-model': 'backup/claude-haiku-4-5' },
      routing: {
        retries: fastRetries,
        rules: [
          {
            name: 'claude-code-sonnet',
            expression: 'model == "sonnet-model" && headers["User-Agent"].startsWith("claude-cli")',
            targets: [{ provider: 'primary', model: 'gpt-test' }],
          },
        ],
      },
    }),
  );
  const post = (model: string, userAgent: string): Promise<Response> =>
    fetch(`${harness.gateway.url}/anthropic/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': userAgent }, body: JSON.stringify({ model, ...hi }) });
  const routed = await post('sonnet-model', 'claude-cli/2.1.197 (external, cli)');
  assert.equal(routed.status, 200);
  assert.equal(routed.headers.get('x-heimdall-route'), 'claude-code-sonnet');
  assert.equal(routed.headers.get('x-heimdall-provider'), 'primary');
  const message = (await routed.json()) as Anthropic.Message;
  assert.equal(textOf(message), 'Hello from the primary');
  assert.equal(message.model, 'sonnet-model', 'the caller sees the model name it asked for');

  const unmatched = await post('sonnet-model', 'curl/8.0');
  assert.equal(unmatched.status, 400, 'no rule matches and sonnet-model names nothing');
  assert.match(((await unmatched.json()) as { error: { message: string } }).error.message, /unknown model 'sonnet-model'/);

  const aliased = await post('haiku-model', 'curl/8.0');
  assert.equal(aliased.status, 200);
  assert.equal(aliased.headers.get('x-heimdall-route'), 'default');
  assert.equal(aliased.headers.get('x-heimdall-model'), 'claude-haiku-4-5');
  const count = await fetch(`${harness.gateway.url}/anthropic/v1/messages/count_tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'haiku-model', messages: hi.messages }),
  });
  assert.equal(count.status, 200, 'count_tokens resolves the alias too');
});

test('malformed request fallbacks are refused before anything is sent upstream', async (t) => {
  const harness = await startHarness(t, { primary: (request, response) => answerOpenAi(request, response, 'x') });
  const refused = await postStream(harness.gateway, { model: 'primary/gpt-test', fallbacks: 'backup/claude' });
  assert.equal(refused.status, 400);
  assert.match(refused.text, /fallbacks: Input should be a list/);
  const unknown = await postStream(harness.gateway, { model: 'primary/gpt-test', fallbacks: ['nowhere/model'] });
  assert.equal(unknown.status, 400);
  assert.equal(harness.primary.requests.length, 0);
});

// ---------------------------------------------------------------------------------------------
// Thinking across providers
// ---------------------------------------------------------------------------------------------

/**
 * An Anthropic mock that, like Anthropic, refuses thinking blocks it did not sign (here: any
 * signature but {@link ANTHROPIC_SIGNATURE}) and, with thinking on, a tool loop whose last
 * assistant message does not start with a thinking block.
 */
function strictAnthropic(request: RecordedRequest, response: ServerResponse): Promise<void> | void {
  const json = isRecord(request.json) ? request.json : {};
  const messages = Array.isArray(json.messages) ? json.messages.filter(isRecord) : [];
  for (const [index, message] of messages.entries()) {
    if (!Array.isArray(message.content)) continue;
    for (const block of message.content.filter(isRecord)) {
      if (block.type === 'thinking' && block.signature !== ANTHROPIC_SIGNATURE) {
        writeAnthropicError(response, 400, 'invalid_request_error', `messages.${index}.content: Invalid \`signature\` in \`thinking\` block`);
        return;
      }
    }
  }
  const thinkingOn = isRecord(json.thinking) && json.thinking.type !== 'disabled';
  const lastAssistant = [...messages].reverse().find((message) => message.role === 'assistant');
  const lastBlocks = Array.isArray(lastAssistant?.content) ? lastAssistant.content.filter(isRecord) : [];
  if (thinkingOn && lastBlocks.some((block) => block.type === 'tool_use') && lastBlocks[0]?.type !== 'thinking') {
    writeAnthropicError(response, 400, 'invalid_request_error', 'Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block');
    return;
  }
  return answerAnthropic(request, response, 'Anthropic accepted the history');
}

test('mid-session provider switch: OpenAI-path thinking goes to a strict Anthropic passthrough, Anthropic-signed thinking to the OpenAI path', async (t) => {
  const harness = await startHarness(t, {
    primary: async (request, response) => {
      if (isRecord(request.json) && request.json.stream !== true) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text: 'Here is the plan.' })));
        return;
      }
      await writeOpenAiChatSse(response, [
        { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'Let me think about it.' }, finish_reason: null }] },
        openAiChatChunk({ model: 'gpt-test' }, { content: 'Here is the plan.' }),
        openAiChatChunk({ model: 'gpt-test' }, {}, 'stop'),
      ]);
    },
    backup: strictAnthropic,
  });
  // 1. A turn on the OpenAI path: its thinking comes back with a Heimdall signature.
  const first = await withTimeout(
    harness.client.messages.stream({ model: 'primary/gpt-test', max_tokens: 256, thinking: { type: 'enabled', budget_tokens: 128 }, messages: [{ role: 'user', content: 'plan it' }] }).finalMessage(),
    GUARD_MS,
    'openai turn',
  );
  const thinking = first.content.find((block) => block.type === 'thinking');
  assert.ok(thinking !== undefined && thinking.type === 'thinking');
  assert.equal(thinking.thinking, 'Let me think about it.');
  assert.equal(thinking.signature, 'heimdall:v1:primary/gpt-test', 'translated thinking carries a recognisable Heimdall signature');

  // 2. /model switch: the same history goes to the Anthropic passthrough, which refuses foreign signatures.
  const history: Anthropic.MessageParam[] = [
    { role: 'user', content: 'plan it' },
    { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
    { role: 'user', content: 'now do it' },
  ];
  const switched = await withTimeout(
    harness.client.messages.create({ model: 'backup/claude-sonnet-4-6', max_tokens: 256, thinking: { type: 'enabled', budget_tokens: 128 }, messages: history }),
    GUARD_MS,
    'switch to anthropic',
  );
  assert.equal(textOf(switched), 'Anthropic accepted the history');

  // 3. The same, in the middle of a tool loop (thinking is switched off for that request).
  const toolLoop: Anthropic.MessageParam[] = [
    { role: 'user', content: 'write it' },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I will write the file.', signature: 'heimdall:v1:primary/gpt-test' },
        { type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/tmp/x', content: 'y' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
  ];
  const loopResponse = await fetch(`${harness.gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'backup/claude-sonnet-4-6', max_tokens: 256, thinking: { type: 'enabled', budget_tokens: 128 }, messages: toolLoop }),
  });
  assert.equal(loopResponse.status, 200, await loopResponse.clone().text());
  assert.match(loopResponse.headers.get('x-heimdall-dropped-fields') ?? '', /messages\.1\.content\.0, thinking/);

  // 4. The other way: Anthropic-signed thinking in the history of a request to the OpenAI path.
  const anthropicHistory: Anthropic.MessageParam[] = [
    { role: 'user', content: 'write it' },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Anthropic reasoning.', signature: ANTHROPIC_SIGNATURE },
        { type: 'tool_use', id: 'toolu_2', name: 'Write', input: { file_path: '/tmp/x', content: 'y' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'ok' }] },
  ];
  const toOpenAi = await withTimeout(
    harness.client.messages.create({ model: 'primary/gpt-test', max_tokens: 256, thinking: { type: 'enabled', budget_tokens: 128 }, messages: anthropicHistory }),
    GUARD_MS,
    'switch to openai',
  );
  assert.equal(textOf(toOpenAi), 'Here is the plan.');
  const upstream = harness.primary.requests[harness.primary.requests.length - 1];
  assert.ok(!upstream.body.toString('utf8').includes(ANTHROPIC_SIGNATURE), 'the Anthropic signature does not reach the OpenAI provider');
  for (const request of harness.backup.requests) assert.ok(!request.body.toString('utf8').includes('heimdall:v1'), 'no Heimdall signature reaches Anthropic');
});

test('pings then a passthrough error status: the error arrives as an SSE error event with the upstream\'s type', async (t) => {
  const pingSeen = signal();
  const harness = await startHarness(t, {
    primary: (request, response) => answerOpenAi(request, response, 'unused'),
    backup: async (_request, response) => {
      await pingSeen.promise;
      writeAnthropicError(response, 529, 'overloaded_error', 'Overloaded');
    },
  });
  const response = await fetch(`${harness.gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'backup/claude-sonnet-4-6', ...hi, stream: true }),
  });
  const text = await withTimeout(readWatchingForPing(response, pingSeen.resolve), GUARD_MS, 'stream');
  assert.equal(response.status, 200);
  assert.deepEqual(eventNames(text).filter((name) => name !== 'ping'), ['error']);
  assert.match(text, /"type":"overloaded_error","message":"Overloaded"/);
});

test('request_kind rules see real Claude Code requests: title generation goes elsewhere than the main turn', { skip: skipWithoutSharedFixtures() }, async (t) => {
  const harness = await startHarness(
    t,
    { primary: (request, response) => answerOpenAi(request, response, '{"title": "Writing a file"}') },
    () => ({ routing: { retries: fastRetries, rules: [{ name: 'titles-to-primary', expression: 'request_kind == "title"', targets: [{ provider: 'primary', model: 'gpt-test' }] }] } }),
  );
  const headers = JSON.parse(readSharedFixture('claude-code/request-headers.json')) as Record<string, string>;
  const forwarded: Record<string, string> = {};
  for (const name of ['user-agent', 'anthropic-beta', 'anthropic-version', 'x-app', 'x-claude-code-session-id']) forwarded[name] = headers[name];
  const send = (fixture: string): Promise<Response> =>
    fetch(`${harness.gateway.url}/anthropic/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...forwarded }, body: readSharedFixture(`claude-code/${fixture}`) });
  const title = await send('messages-title.json');
  assert.equal(title.status, 200, await title.clone().text());
  assert.equal(title.headers.get('x-heimdall-route'), 'titles-to-primary');
  assert.equal(streamedText(await title.text()), '{"title": "Writing a file"}');
  const main = await send('messages-after-tool-result.json');
  assert.equal(main.status, 200, await main.clone().text());
  assert.equal(main.headers.get('x-heimdall-route'), 'default');
  assert.equal(main.headers.get('x-heimdall-provider'), 'backup', 'the bare claude-* model goes to the Anthropic-kind provider');
  await main.text();
});
