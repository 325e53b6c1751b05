import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { ProviderCallError } from '../../core/errors.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { startMockUpstream, type MockUpstream } from '../../testing/mock-upstream.js';
import { closeUpstreamPools } from '../../upstream/upstream-http.js';
import { ollamaProvider } from '../ollama/ollama-provider.js';
import { openAIProvider } from '../openai/openai-provider.js';
import type { ChatClient, ProviderDefinition, ProviderInstance, UpstreamCall } from '../provider.js';
import { chatCompletionsUrl } from './openai-compatible-client.js';

const KEY = 'sk-test-key';

function instanceOf(definition: ProviderDefinition, baseUrl: string, overrides: Partial<ProviderInstance> = {}): ProviderInstance {
  return {
    name: 'test-openai',
    definition,
    baseUrl,
    keys: [{ id: 'key-1', value: KEY, weight: 1, models: ['*'] }],
    headers: { 'X-Team': 'heimdall' },
    models: [],
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 },
    ...overrides,
  };
}

function chatClient(instance: ProviderInstance): ChatClient {
  const client = instance.definition.createClient(instance).chat;
  assert.ok(client !== undefined, 'the provider has a chat client');
  return client;
}

function callFor(instance: ProviderInstance, options: { model?: string; signal?: AbortSignal; withKey?: boolean } = {}): UpstreamCall {
  return {
    instance,
    key: options.withKey === false ? undefined : instance.keys[0],
    model: options.model ?? 'gpt-4.1-mini',
    signal: options.signal ?? new AbortController().signal,
    inboundHeaders: {},
    dropped: new DroppedFieldLog(),
  };
}

function gatewayRequest(stream: boolean): GatewayRequest {
  return {
    model: 'alias-from-the-caller',
    system: [{ type: 'text', text: 'Be brief.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }],
    tools: [{ name: 'lookup', description: 'Looks up', inputSchema: { type: 'object', properties: {} } }],
    maxOutputTokens: 64000,
    topK: 5,
    stream,
  };
}

const identity = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1-mini-2025-04-14' };

/** SSE bytes of a text answer followed by a usage-only chunk and [DONE]. */
function sseAnswer(): Buffer {
  const chunks = [
    { ...identity, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hé' }, finish_reason: null }] },
    { ...identity, choices: [{ index: 0, delta: { content: 'llo 👋' }, finish_reason: null }] },
    { ...identity, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...identity, choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } } },
  ];
  return Buffer.from(`${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('')}data: [DONE]\n\n`);
}

async function collectEvents(client: ChatClient, instance: ProviderInstance, call = callFor(instance)): Promise<StreamEvent[]> {
  const stream = await client.stream(gatewayRequest(true), call);
  const events: StreamEvent[] = [];
  await stream.pipeTo({ event: (event) => events.push(event) });
  return events;
}

describe('OpenAICompatibleChatClient against a mock upstream', () => {
  let upstream: MockUpstream;

  before(async () => {
    upstream = await startMockUpstream((_request, response) => {
      response.writeHead(500);
      response.end();
    });
  });

  after(async () => {
    await upstream.close();
    await closeUpstreamPools();
  });

  it('builds the chat completions URL with or without a trailing slash', () => {
    assert.equal(chatCompletionsUrl('https://api.example.com/v1').href, 'https://api.example.com/v1/chat/completions');
    assert.equal(chatCompletionsUrl('https://api.example.com/v1//').href, 'https://api.example.com/v1/chat/completions');
  });

  it('posts the converted request and streams SSE back as IR events', async () => {
    upstream.setHandler(async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const bytes = sseAnswer();
      // awkward pieces: inside "data:", inside the é and the emoji, between \n\n
      const emoji = bytes.indexOf(Buffer.from('👋'));
      const cuts = [3, bytes.indexOf(Buffer.from('é')) + 1, emoji + 1, emoji + 3, bytes.indexOf(Buffer.from('\n\n')) + 1, bytes.length].sort((a, b) => a - b);
      let start = 0;
      for (const cut of cuts) {
        response.write(bytes.subarray(start, cut));
        start = cut;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      response.end();
    });
    const instance = instanceOf(openAIProvider, `${upstream.url}/v1/`, { maxOutputTokens: 4096 });
    const call = callFor(instance);
    const events = await collectEvents(chatClient(instance), instance, call);

    const recorded = upstream.requests.at(-1);
    assert.ok(recorded !== undefined);
    assert.equal(recorded.method, 'POST');
    assert.equal(recorded.url, '/v1/chat/completions');
    assert.equal(recorded.headers.authorization, `Bearer ${KEY}`);
    assert.equal(recorded.headers['x-team'], 'heimdall');
    assert.equal(recorded.headers['content-type'], 'application/json');
    assert.equal(recorded.headers.accept, 'text/event-stream');
    assert.deepEqual(recorded.json, {
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hi' },
      ],
      stream: true,
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks up', parameters: { type: 'object', properties: {} } } }],
      max_completion_tokens: 4096,
      stream_options: { include_usage: true },
    });
    assert.deepEqual(
      call.dropped.entries.map((entry) => entry.field),
      ['max_tokens', 'top_k'],
    );
    assert.deepEqual(events, [
      { type: 'response-metadata', id: 'chatcmpl-mock', model: 'gpt-4.1-mini-2025-04-14' },
      { type: 'text-delta', text: 'Hé' },
      { type: 'text-delta', text: 'llo 👋' },
      { type: 'usage', usage: { inputTokens: 8, outputTokens: 3, cacheReadTokens: 4, cacheWriteTokens: 0 } },
      { type: 'finish', reason: 'end-turn' },
    ]);
  });

  it('completes a non-streamed request', async () => {
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-full',
          object: 'chat.completion',
          model: 'gpt-4.1-mini-2025-04-14',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] }, finish_reason: 'tool_calls' }],
          usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
        }),
      );
    });
    const instance = instanceOf(openAIProvider, `${upstream.url}/v1`);
    const response = await chatClient(instance).complete(gatewayRequest(false), callFor(instance));
    const recorded = upstream.requests.at(-1);
    assert.equal(recorded?.headers.accept, 'application/json');
    assert.equal((recorded?.json as { stream?: unknown }).stream, false);
    assert.equal((recorded?.json as { stream_options?: unknown }).stream_options, undefined);
    assert.deepEqual(response, {
      id: 'chatcmpl-full',
      model: 'gpt-4.1-mini-2025-04-14',
      content: [
        { type: 'text', text: 'Hi' },
        { type: 'tool-call', id: 'call_1', name: 'lookup', input: { q: 'x' } },
      ],
      finishReason: 'tool-use',
      usage: { inputTokens: 20, outputTokens: 9, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
  });

  it('sends no authorization header for a keyless local provider', async () => {
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(sseAnswer());
    });
    const instance = instanceOf(ollamaProvider, `${upstream.url}/v1`, { keys: [], headers: {} });
    await collectEvents(chatClient(instance), instance, callFor(instance, { model: 'llama3.2', withKey: false }));
    assert.equal(upstream.requests.at(-1)?.headers.authorization, undefined);
  });

  const statusCases: Array<{ status: number; body: string; headers?: Record<string, string>; kind: string; retryable: boolean; message: RegExp }> = [
    {
      status: 400,
      body: JSON.stringify({ error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model.", type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter' } }),
      kind: 'invalid_request_error',
      retryable: false,
      message: /test-openai returned 400: Unsupported parameter: 'max_tokens'/,
    },
    {
      status: 429,
      body: JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }),
      headers: { 'retry-after': '7' },
      kind: 'rate_limit_error',
      retryable: true,
      message: /Rate limit reached/,
    },
    { status: 500, body: 'upstream exploded', kind: 'api_error', retryable: true, message: /returned 500: upstream exploded/ },
  ];

  for (const testCase of statusCases) {
    it(`turns a ${testCase.status} answer into a ProviderCallError (streaming and not)`, async () => {
      upstream.setHandler((_request, response) => {
        response.writeHead(testCase.status, { 'content-type': 'application/json', ...testCase.headers });
        response.end(testCase.body);
      });
      const instance = instanceOf(openAIProvider, `${upstream.url}/v1`);
      const client = chatClient(instance);
      for (const attempt of [() => client.stream(gatewayRequest(true), callFor(instance)), () => client.complete(gatewayRequest(false), callFor(instance))]) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(error instanceof ProviderCallError);
          assert.equal(error.kind, testCase.kind);
          assert.equal(error.upstreamStatus, testCase.status);
          assert.equal(error.retryable, testCase.retryable);
          assert.equal(error.provider, 'test-openai');
          assert.equal(error.body, testCase.body);
          assert.match(error.message, testCase.message);
          if (testCase.headers !== undefined) assert.equal(error.headers['retry-after'], testCase.headers['retry-after']);
          assert.ok(!error.message.includes(KEY) && !(error.body ?? '').includes(KEY));
          return true;
        });
      }
    });
  }

  it('rejects with a ProviderCallError when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const instance = instanceOf(openAIProvider, `http://127.0.0.1:${port}/v1`);
    await assert.rejects(chatClient(instance).stream(gatewayRequest(true), callFor(instance)), (error: unknown) => {
      assert.ok(error instanceof ProviderCallError);
      assert.equal(error.upstreamStatus, undefined);
      assert.equal(error.retryable, true);
      assert.match(error.message, /could not reach test-openai/);
      return true;
    });
  });

  it('rejects when a 200 answer to a stream request is an error JSON body', async () => {
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'model overloaded', type: 'overloaded_error' } }));
    });
    const instance = instanceOf(openAIProvider, `${upstream.url}/v1`);
    await assert.rejects(
      chatClient(instance).stream(gatewayRequest(true), callFor(instance)),
      (error: unknown) => error instanceof ProviderCallError && error.kind === 'overloaded_error' && /model overloaded/.test(error.message),
    );
  });

  it('fails the stream on a mid-stream error payload, after the events before it', async () => {
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${JSON.stringify({ ...identity, choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }] })}\n\n`);
      response.end('data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n');
    });
    const instance = instanceOf(openAIProvider, `${upstream.url}/v1`);
    const stream = await chatClient(instance).stream(gatewayRequest(true), callFor(instance));
    const events: StreamEvent[] = [];
    await assert.rejects(
      stream.pipeTo({ event: (event) => events.push(event) }),
      (error: unknown) => error instanceof ProviderCallError && error.kind === 'api_error' && /The server had an error/.test(error.message),
    );
    assert.deepEqual(events.map((event) => event.type), ['response-metadata', 'text-delta']);
    await assert.rejects(stream.pipeTo({ event: () => undefined }), /only be read once/);
  });

  it('fails a stream that ends before a finish reason or [DONE]', async () => {
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`data: ${JSON.stringify({ ...identity, choices: [{ index: 0, delta: { content: 'cut' }, finish_reason: null }] })}\n\n`);
    });
    const instance = instanceOf(openAIProvider, `${upstream.url}/v1`);
    await assert.rejects(collectEvents(chatClient(instance), instance), (error: unknown) => error instanceof ProviderCallError && /ended the stream/.test(error.message));
  });

  it('stops reading when the call is aborted mid-stream', async () => {
    upstream.setHandler((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${JSON.stringify({ ...identity, choices: [{ index: 0, delta: { content: 'first' }, finish_reason: null }] })}\n\n`);
      // never ends on its own
    });
    const instance = instanceOf(openAIProvider, `${upstream.url}/v1`);
    const controller = new AbortController();
    const stream = await chatClient(instance).stream(gatewayRequest(true), callFor(instance, { signal: controller.signal }));
    const events: StreamEvent[] = [];
    await assert.rejects(
      stream.pipeTo({
        event: (event) => {
          events.push(event);
          if (event.type === 'text-delta') controller.abort();
        },
      }),
      (error: unknown) => error instanceof ProviderCallError && /aborted/.test(error.message) && !error.retryable,
    );
    assert.deepEqual(events.map((event) => event.type), ['response-metadata', 'text-delta']);
  });
});
