/**
 * The official Anthropic TypeScript SDK (`@anthropic-ai/sdk`) as a client of the gateway
 * (`baseURL: <gateway>/anthropic`): streaming (`messages.stream().finalMessage()`) and
 * non-streaming (`messages.create()`) through
 *   (a) the Anthropic passthrough, replaying recorded Anthropic streams and bodies from the shared
 *       fixtures, and
 *   (b) the translation path to an OpenAI Chat Completions mock (text, a tool call streamed in small
 *       argument pieces, two parallel tool calls with interleaved argument deltas),
 * plus the errors a user of the SDK meets: a bad model name, an upstream rate limit, an upstream
 * that fails after the stream began, and a client that goes away mid-stream.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { anthropicMessageFromEvents, anthropicSseFrame, writeAnthropicError, writeAnthropicSse, type AnthropicStreamEvent } from '../src/testing/anthropic-sse.js';
import { readRecordedChunks, readSharedFixture, skipWithoutSharedFixtures } from '../src/testing/fixtures.js';
import { startMockUpstream, type MockHandler, type MockUpstream } from '../src/testing/mock-upstream.js';
import {
  openAiChatChunk,
  openAiChatCompletion,
  openAiChatStreamChunks,
  openAiSseFrame,
  openAiUsage,
  writeOpenAiChatSse,
  writeOpenAiError,
} from '../src/testing/openai-chat-sse.js';
import { startTestGateway } from '../src/testing/test-gateway.js';
import { rejectionOf, withTimeout } from '../src/testing/with-timeout.js';

/** Limit for anything that should settle almost at once; only a hang reaches it. */
const GUARD_MS = 15_000;
const PROVIDER_KEY = 'sk-ant-provider-key';
const CLIENT_KEY = 'sk-ant-client-key';

/** A JSON round trip: what a user would see printed (drops `undefined` fields and SDK-internal non-enumerables). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * `plain(message)` without the `parsed_output: null` the SDK's stream helper adds to every final
 * message (structured-output parsing; null when the request asked for no output format).
 */
function plainMessage(message: Anthropic.Message): unknown {
  const copy = plain(message);
  if (isRecord(copy) && copy.parsed_output === null) delete copy.parsed_output;
  return copy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A running mock upstream + gateway + SDK client, closed when the test ends. */
interface Harness {
  mock: MockUpstream;
  client: Anthropic;
  /** The request bodies the SDK put on the wire, in order. */
  sentBodies: string[];
  /** The request headers the SDK put on the wire, in order. */
  sentHeaders: Headers[];
}

async function startHarness(t: TestContext, handler: MockHandler, configFor: (mock: MockUpstream) => HeimdallConfig): Promise<Harness> {
  const mock = await startMockUpstream(handler);
  const gateway = await startTestGateway(configFor(mock));
  t.after(async () => {
    // The mock first: dropping its connections ends any upstream stream the gateway still relays.
    await mock.close();
    await gateway.close();
  });
  const sentBodies: string[] = [];
  const sentHeaders: Headers[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string') sentBodies.push(init.body);
    sentHeaders.push(new Headers(init?.headers));
    return fetch(input, init);
  };
  const client = new Anthropic({ baseURL: `${gateway.url}/anthropic`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 60_000, fetch: recordingFetch });
  return { mock, client, sentBodies, sentHeaders };
}

const anthropicConfig = (mock: MockUpstream): HeimdallConfig => ({ providers: { anthropic: { base_url: mock.url, keys: [{ value: PROVIDER_KEY }] } } });
const openAiConfig = (mock: MockUpstream): HeimdallConfig => ({ providers: { openai: { base_url: `${mock.url}/v1`, keys: [{ value: 'sk-test' }] } } });

// ---------------------------------------------------------------------------------------------
// (a) Anthropic passthrough, replaying recordings
// ---------------------------------------------------------------------------------------------

const weatherTool = {
  name: 'json',
  description: 'Respond with a JSON object.',
  input_schema: {
    type: 'object' as const,
    properties: { elements: { type: 'array', items: { type: 'object', properties: { location: { type: 'string' }, temperature: { type: 'number' }, condition: { type: 'string' } } } } },
    required: ['elements'],
  },
};

/** Asserts what the passthrough must do to a request: body unchanged but the model, headers relayed, credential replaced. */
function assertPassedThrough(harness: Harness, expectedModel: string, betaHeader: string): void {
  const upstream = harness.mock.requests;
  assert.equal(upstream.length, 1, 'exactly one upstream request');
  assert.equal(upstream[0].method, 'POST');
  assert.equal(upstream[0].url, '/v1/messages');
  assert.equal(harness.sentBodies.length, 1);
  const sent = JSON.parse(harness.sentBodies[0]) as Record<string, unknown>;
  const expected = JSON.stringify({ ...sent, model: expectedModel });
  assert.equal(upstream[0].body.toString('utf8'), expected, 'the upstream body is the client body with only the model name changed');
  const sdkVersionHeader = harness.sentHeaders[0].get('anthropic-version');
  assert.ok(sdkVersionHeader !== null, 'the SDK sends anthropic-version');
  assert.equal(upstream[0].headers['anthropic-version'], sdkVersionHeader, 'anthropic-version is forwarded as the SDK sent it');
  assert.equal(upstream[0].headers['anthropic-beta'], betaHeader, 'anthropic-beta is forwarded');
  assert.equal(upstream[0].headers['x-api-key'], PROVIDER_KEY, "the configured provider key replaces the client's x-api-key");
  assert.equal(upstream[0].headers.authorization, undefined, 'no other credential is sent upstream');
}

for (const recording of [
  { name: 'anthropic-text', tools: undefined, prompt: 'Hello, how are you?' },
  { name: 'anthropic-json-tool.1', tools: [weatherTool], prompt: 'Weather in San Francisco as JSON.' },
]) {
  test(`passthrough: stream().finalMessage() reproduces the recorded ${recording.name} stream`, { skip: skipWithoutSharedFixtures() }, async (t) => {
    const events = readRecordedChunks(`upstream/anthropic/${recording.name}.chunks.txt`) as AnthropicStreamEvent[];
    const harness = await startHarness(t, (_request, response) => writeAnthropicSse(response, events, { headers: { 'request-id': 'req_mock_stream' } }), anthropicConfig);
    const betaHeader = 'fine-grained-tool-streaming-2025-05-14';
    const stream = harness.client.messages.stream(
      {
        model: 'anthropic/claude-sonnet-4-6',
        max_tokens: 1024,
        messages: [{ role: 'user', content: recording.prompt }],
        ...(recording.tools === undefined ? {} : { tools: recording.tools }),
      },
      { headers: { 'anthropic-beta': betaHeader } },
    );
    const message = await withTimeout(stream.finalMessage(), GUARD_MS, 'finalMessage');

    const recorded = anthropicMessageFromEvents(events);
    assert.deepEqual(plainMessage(message), plain(recorded), 'the SDK ends with the message the recording describes');
    if (recording.tools === undefined) {
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.content[0].type === 'text' && message.content[0].text, "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?");
    } else {
      assert.equal(message.stop_reason, 'tool_use');
      const block = message.content[0];
      assert.ok(block.type === 'tool_use');
      assert.equal(block.name, 'json');
      assert.deepEqual(block.input, { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] });
    }
    assertPassedThrough(harness, 'claude-sonnet-4-6', betaHeader);
  });

  test(`passthrough: messages.create() returns the recorded ${recording.name} body`, { skip: skipWithoutSharedFixtures() }, async (t) => {
    const bodyText = readSharedFixture(`upstream/anthropic/${recording.name}.json`);
    const harness = await startHarness(
      t,
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_mock_create' });
        response.end(bodyText);
      },
      anthropicConfig,
    );
    const betaHeader = 'token-efficient-tools-2025-02-19';
    const message = await withTimeout(
      harness.client.messages.create(
        {
          model: 'claude-sonnet-4-6',
          max_tokens: 1024,
          messages: [{ role: 'user', content: recording.prompt }],
          ...(recording.tools === undefined ? {} : { tools: recording.tools }),
        },
        { headers: { 'anthropic-beta': betaHeader } },
      ),
      GUARD_MS,
      'messages.create',
    );
    assert.deepEqual(plainMessage(message), JSON.parse(bodyText), 'the SDK returns the upstream body unchanged');
    assert.equal(message._request_id, 'req_mock_create', "the upstream's request-id header reaches the client");
    assertPassedThrough(harness, 'claude-sonnet-4-6', betaHeader);
    assert.equal(harness.mock.requests[0].body.toString('utf8'), harness.sentBodies[0], 'a bare claude-* model name leaves the body byte for byte');
  });
}

// ---------------------------------------------------------------------------------------------
// (b) Translation to an OpenAI Chat Completions mock
// ---------------------------------------------------------------------------------------------

const weatherFunction = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
};
const timeFunction = {
  name: 'get_time',
  description: 'Current local time in a city.',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Asserts the upstream saw one Chat Completions request for `gpt-test` with our key, streaming or not. */
function assertChatCompletionsRequest(harness: Harness, stream: boolean): Record<string, unknown> {
  assert.equal(harness.mock.requests.length, 1, 'exactly one upstream request');
  const upstream = harness.mock.requests[0];
  assert.equal(upstream.url, '/v1/chat/completions');
  assert.equal(upstream.headers.authorization, 'Bearer sk-test');
  assert.ok(isRecord(upstream.json));
  assert.equal(upstream.json.model, 'gpt-test', 'the provider prefix is stripped');
  assert.equal(upstream.json.stream === true, stream);
  return upstream.json;
}

test('openai: stream().finalMessage() of a text answer', async (t) => {
  const text = 'Hello from the OpenAI mock, streamed in small pieces.';
  const harness = await startHarness(
    t,
    (_request, response) => writeOpenAiChatSse(response, openAiChatStreamChunks({ model: 'gpt-test', text, textPieceLength: 5, usage: openAiUsage(11, 7) }), { pauseMs: 2 }),
    openAiConfig,
  );
  const texts: string[] = [];
  const stream = harness.client.messages.stream({ model: 'openai/gpt-test', max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] });
  stream.on('text', (delta) => texts.push(delta));
  const message = await withTimeout(stream.finalMessage(), GUARD_MS, 'finalMessage');

  assert.deepEqual(plain(message.content), [{ type: 'text', text }]);
  assert.equal(texts.join(''), text, 'text deltas arrive and add up to the text');
  assert.ok(texts.length > 1, 'the text streams in several deltas');
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.role, 'assistant');
  assert.equal(message.model, 'openai/gpt-test', 'the model is reported as the client named it');
  assert.equal(message.usage.input_tokens, 11);
  assert.equal(message.usage.output_tokens, 7);
  const upstream = assertChatCompletionsRequest(harness, true);
  assert.deepEqual(upstream.messages, [{ role: 'user', content: 'Say hello.' }]);
});

test('openai: a tool call streamed in small argument pieces after some text', async (t) => {
  const input = { city: 'Paris', unit: 'celsius' };
  const harness = await startHarness(
    t,
    (_request, response) =>
      writeOpenAiChatSse(
        response,
        openAiChatStreamChunks({
          model: 'gpt-test',
          text: 'Let me check.',
          toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: JSON.stringify(input) }],
          argumentPieceLength: 3,
          usage: openAiUsage(40, 18),
        }),
        { pauseMs: 1 },
      ),
    openAiConfig,
  );
  const jsonDeltas: string[] = [];
  const stream = harness.client.messages.stream({
    model: 'openai/gpt-test',
    max_tokens: 256,
    tools: [weatherFunction],
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  stream.on('inputJson', (partial) => jsonDeltas.push(partial));
  const message = await withTimeout(stream.finalMessage(), GUARD_MS, 'finalMessage');

  assert.equal(message.content.length, 2);
  assert.deepEqual(plain(message.content[0]), { type: 'text', text: 'Let me check.' });
  const call = message.content[1];
  assert.ok(call.type === 'tool_use', `expected a tool_use block, got ${call.type}`);
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(call.input, input, 'the argument pieces add up to the parsed input');
  assert.ok(typeof call.id === 'string' && call.id.length > 0);
  assert.equal(jsonDeltas.join(''), JSON.stringify(input), 'input_json_delta pieces add up to the arguments');
  assert.equal(message.stop_reason, 'tool_use');
  assert.equal(message.usage.input_tokens, 40);
  assert.equal(message.usage.output_tokens, 18);
  const upstream = assertChatCompletionsRequest(harness, true);
  assert.ok(Array.isArray(upstream.tools) && upstream.tools.length === 1, 'the tool is offered upstream');
});

test('openai: two parallel tool calls whose argument deltas interleave 0,1,0,1', async (t) => {
  const weatherInput = { city: 'Paris', unit: 'celsius' };
  const timeInput = { city: 'Tokyo' };
  const chunks = openAiChatStreamChunks({
    model: 'gpt-test',
    toolCalls: [
      { id: 'call_weather_1', name: 'get_weather', arguments: JSON.stringify(weatherInput) },
      { id: 'call_time_2', name: 'get_time', arguments: JSON.stringify(timeInput) },
    ],
    argumentPieceLength: 4,
    interleave: true,
    usage: openAiUsage(55, 31),
  });
  // The stream really interleaves: argument deltas alternate between the two calls.
  const deltaIndexes = chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => (choice.delta.tool_calls ?? []).filter((call) => call.id === undefined).map((call) => call.index)));
  assert.deepEqual(deltaIndexes.slice(0, 4), [0, 1, 0, 1]);

  const harness = await startHarness(t, (_request, response) => writeOpenAiChatSse(response, chunks, { pauseMs: 1 }), openAiConfig);
  const message = await withTimeout(
    harness.client.messages
      .stream({ model: 'openai/gpt-test', max_tokens: 256, tools: [weatherFunction, timeFunction], messages: [{ role: 'user', content: 'Weather in Paris and time in Tokyo?' }] })
      .finalMessage(),
    GUARD_MS,
    'finalMessage',
  );

  assert.equal(message.stop_reason, 'tool_use');
  const calls = message.content.filter((block) => block.type === 'tool_use');
  assert.equal(calls.length, 2, `expected two tool_use blocks, got ${JSON.stringify(message.content)}`);
  assert.equal(message.content.length, 2, 'nothing but the two tool calls');
  assert.deepEqual(
    calls.map((call) => ({ name: call.name, input: call.input })),
    [
      { name: 'get_weather', input: weatherInput },
      { name: 'get_time', input: timeInput },
    ],
    'each call gets its own arguments, in the order the calls began',
  );
  assert.notEqual(calls[0].id, calls[1].id, 'the calls have distinct ids');
  assert.equal(message.usage.input_tokens, 55);
  assert.equal(message.usage.output_tokens, 31);
});

test('openai: messages.create() (non-streaming) with text and a tool call', async (t) => {
  const harness = await startHarness(
    t,
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(
          openAiChatCompletion({
            model: 'gpt-test',
            text: 'Checking the weather.',
            toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
            usage: openAiUsage(21, 9),
          }),
        ),
      );
    },
    openAiConfig,
  );
  const message = await withTimeout(
    harness.client.messages.create({ model: 'openai/gpt-test', max_tokens: 256, tools: [weatherFunction], messages: [{ role: 'user', content: 'Weather in Oslo?' }] }),
    GUARD_MS,
    'messages.create',
  );
  assert.equal(message.type, 'message');
  assert.equal(message.model, 'openai/gpt-test');
  assert.equal(message.stop_reason, 'tool_use');
  assert.deepEqual(plain(message.content[0]), { type: 'text', text: 'Checking the weather.' });
  const call = message.content[1];
  assert.ok(call !== undefined && call.type === 'tool_use');
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(call.input, { city: 'Oslo' });
  assert.equal(message.usage.input_tokens, 21);
  assert.equal(message.usage.output_tokens, 9);
  assertChatCompletionsRequest(harness, false);
});

// ---------------------------------------------------------------------------------------------
// Errors through the SDK
// ---------------------------------------------------------------------------------------------

test('a malformed or unknown model name is a BadRequestError (400 invalid_request_error) and reaches no upstream', async (t) => {
  const harness = await startHarness(t, (_request, response) => writeAnthropicError(response, 500, 'api_error', 'the mock should not be called'), anthropicConfig);
  for (const model of ['anthropic/', 'no-such-model', 'groq/llama-3.3-70b-versatile']) {
    const params = { model, max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };
    for (const [mode, call] of [
      ['create', () => harness.client.messages.create(params)],
      ['stream', () => harness.client.messages.stream(params).finalMessage()],
    ] as const) {
      const error = await rejectionOf(call(), GUARD_MS, `${mode} with model ${model}`);
      assert.ok(error instanceof Anthropic.BadRequestError, `${mode} ${model}: expected BadRequestError, got ${String(error)}`);
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error', `${mode} ${model}: Anthropic error type`);
      assert.ok(isRecord(error.error) && error.error.type === 'error', 'the body is an Anthropic error object');
    }
  }
  assert.equal(harness.mock.requests.length, 0, 'no upstream request for a request the gateway rejects');
});

test('passthrough: an upstream 429 with retry-after is an SDK RateLimitError carrying retry-after', async (t) => {
  const harness = await startHarness(
    t,
    (_request, response) => writeAnthropicError(response, 429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', { 'retry-after': '17' }),
    anthropicConfig,
  );
  const params = { model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };
  for (const [mode, call] of [
    ['create', () => harness.client.messages.create(params)],
    ['stream', () => harness.client.messages.stream(params).finalMessage()],
  ] as const) {
    const error = await rejectionOf(call(), GUARD_MS, mode);
    assert.ok(error instanceof Anthropic.RateLimitError, `${mode}: expected RateLimitError, got ${String(error)}`);
    assert.equal(error.status, 429);
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.headers?.get('retry-after'), '17');
  }
  assert.equal(harness.mock.requests.length, 2, 'one upstream call per SDK call (maxRetries: 0)');
});

test('openai: an upstream 429 with retry-after is an SDK RateLimitError carrying retry-after', async (t) => {
  const harness = await startHarness(
    t,
    (_request, response) => writeOpenAiError(response, 429, 'Rate limit reached for gpt-test', { type: 'requests', code: 'rate_limit_exceeded', headers: { 'retry-after': '17' } }),
    openAiConfig,
  );
  const params = { model: 'openai/gpt-test', max_tokens: 16, messages: [{ role: 'user' as const, content: 'hi' }] };
  for (const [mode, call] of [
    ['create', () => harness.client.messages.create(params)],
    ['stream', () => harness.client.messages.stream(params).finalMessage()],
  ] as const) {
    const error = await rejectionOf(call(), GUARD_MS, mode);
    assert.ok(error instanceof Anthropic.RateLimitError, `${mode}: expected RateLimitError, got ${String(error)}`);
    assert.equal(error.status, 429);
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.headers?.get('retry-after'), '17');
  }
});

/** Writes the first events of an answer, then kills the connection without ending the response. */
async function startThenDestroy(response: ServerResponse, frames: string[]): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const frame of frames) response.write(frame);
  await new Promise((resolve) => setTimeout(resolve, 50));
  response.socket?.destroy();
}

const partialAnthropicFrames: string[] = [
  { type: 'message_start', message: { id: 'msg_mock_broken', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'The answer is' } },
].map(anthropicSseFrame);

const partialOpenAiFrames: string[] = [
  openAiChatChunk({ model: 'gpt-test' }, { role: 'assistant', content: '' }),
  openAiChatChunk({ model: 'gpt-test' }, { content: 'The answer is' }),
].map(openAiSseFrame);

test('passthrough: the upstream connection dying mid-stream rejects the SDK stream (no hang)', async (t) => {
  const harness = await startHarness(t, (_request, response) => startThenDestroy(response, partialAnthropicFrames), anthropicConfig);
  const texts: string[] = [];
  const stream = harness.client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  stream.on('text', (delta) => texts.push(delta));
  const error = await rejectionOf(stream.finalMessage(), GUARD_MS, 'finalMessage after the upstream died');
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
  t.diagnostic(`SDK error: ${String(error)}`);
  assert.deepEqual(texts, ['The answer is'], 'what arrived before the failure was delivered');
});

for (const variant of [
  {
    name: 'an error payload',
    handler: async (_request: unknown, response: ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const frame of partialOpenAiFrames) response.write(frame);
      response.write(openAiSseFrame({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } }));
      response.end();
    },
  },
  { name: 'the connection dying', handler: (_request: unknown, response: ServerResponse) => startThenDestroy(response, partialOpenAiFrames) },
]) {
  test(`openai: ${variant.name} mid-stream rejects the SDK stream with an APIError (no hang)`, async (t) => {
    const harness = await startHarness(t, variant.handler, openAiConfig);
    const texts: string[] = [];
    const stream = harness.client.messages.stream({ model: 'openai/gpt-test', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    stream.on('text', (delta) => texts.push(delta));
    const error = await rejectionOf(stream.finalMessage(), GUARD_MS, 'finalMessage after the upstream failed');
    assert.ok(error instanceof Anthropic.APIError, `expected an APIError (the gateway's SSE error event), got ${String(error)}`);
    t.diagnostic(`SDK error: ${String(error)}`);
    assert.ok(error.type !== null, `the error event names an Anthropic error type: ${String(error)}`);
    assert.deepEqual(texts, ['The answer is'], 'what arrived before the failure was delivered');
  });
}

/**
 * A handler that starts a stream (`frames`) and then keeps it open with `keepAlive` every 50 ms
 * until the connection closes (or, bounded, for at most twice the guard time); `closed` resolves
 * when the gateway hangs up before the end.
 */
function neverEndingStream(frames: string[], keepAlive: string): { handler: MockHandler; closed: Promise<void> } {
  let signalClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    signalClosed = resolve;
  });
  const handler: MockHandler = (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const frame of frames) response.write(frame);
    const timer = setInterval(() => response.write(keepAlive), 50);
    const limit = setTimeout(() => response.end(), GUARD_MS * 2);
    response.on('close', () => {
      clearInterval(timer);
      clearTimeout(limit);
      if (!response.writableFinished) signalClosed();
    });
  };
  return { handler, closed };
}

for (const path of [
  { name: 'passthrough', model: 'claude-sonnet-4-6', config: anthropicConfig, frames: partialAnthropicFrames, keepAlive: anthropicSseFrame({ type: 'ping' }) },
  { name: 'openai', model: 'openai/gpt-test', config: openAiConfig, frames: partialOpenAiFrames, keepAlive: ': keep-alive\n\n' },
]) {
  test(`${path.name}: aborting the SDK stream makes the gateway close the upstream request`, async (t) => {
    const upstream = neverEndingStream(path.frames, path.keepAlive);
    const harness = await startHarness(t, upstream.handler, path.config);
    const stream = harness.client.messages.stream({ model: path.model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    const firstText = new Promise<string>((resolve) => stream.once('text', resolve));
    const outcome = stream.finalMessage().then(
      () => 'resolved',
      (error: unknown) => (error instanceof Anthropic.APIUserAbortError ? 'aborted' : `rejected: ${String(error)}`),
    );
    assert.equal(await withTimeout(firstText, GUARD_MS, 'the first text delta'), 'The answer is');
    stream.abort();
    assert.equal(await withTimeout(outcome, GUARD_MS, 'finalMessage after abort'), 'aborted');
    await withTimeout(upstream.closed, GUARD_MS, 'the gateway should close the upstream connection once the client went away');
    assert.equal(harness.mock.requests.length, 1);
  });
}
