import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HeimdallConfig } from '../../config/config-schema.js';
import type { RunningGateway } from '../../start-gateway.js';
import { anthropicMessageFromEvents, anthropicTextEvents, anthropicTextMessage, anthropicToolUseEvents } from '../../testing/anthropic-sse.js';
import { readRecordedChunks, readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import {
  startMockBedrock,
  TEST_AWS_CREDENTIALS,
  writeBedrockError,
  writeBedrockJson,
  writeConverseStream,
  writeInvokeStream,
  type MockBedrock,
  type MockBedrockHandler,
} from '../../testing/mock-bedrock.js';
import { startTestGateway } from '../../testing/test-gateway.js';

/**
 * The Bedrock provider end to end: Anthropic-format callers (`/anthropic/v1/messages`) served by a
 * mock Bedrock that checks every SigV4 signature and answers in the real binary event stream.
 */

const FIXTURES = 'upstream/amazon-bedrock';

interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses an SSE body into events (test-side, independent of the gateway's code). */
function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? '';
      const data = lines.find((line) => line.startsWith('data: '))?.slice(6) ?? 'null';
      return { event, data: JSON.parse(data) as unknown };
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('bedrock provider', () => {
  let mock: MockBedrock;
  let gateway: RunningGateway;
  let handler: MockBedrockHandler = (_request, response) => writeBedrockError(response, 500, 'InternalServerException', 'no handler');

  function config(mockUrl: string): HeimdallConfig {
    return {
      providers: {
        bedrock: {
          base_url: mockUrl,
          region: 'us-east-1',
          keys: [
            {
              access_key_id: TEST_AWS_CREDENTIALS.accessKeyId,
              value: TEST_AWS_CREDENTIALS.secretAccessKey,
              deployments: { 'claude-pinned': 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/key-profile' },
            },
          ],
          deployments: {
            'claude-pinned': 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/provider-profile',
            'claude-sonnet-4-5': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
          },
        },
        'bedrock-bad-secret': {
          type: 'bedrock',
          base_url: mockUrl,
          region: 'us-east-1',
          keys: [{ access_key_id: TEST_AWS_CREDENTIALS.accessKeyId, value: 'not-the-secret' }],
        },
        'bedrock-api-key': { type: 'bedrock', base_url: mockUrl, region: 'us-east-1', keys: [{ value: 'bedrock-api-key-1' }] },
        'bedrock-no-credentials': { type: 'bedrock', base_url: mockUrl, region: 'us-east-1' },
      },
    };
  }

  before(async () => {
    mock = await startMockBedrock((request, response) => handler(request, response), { aws: TEST_AWS_CREDENTIALS, apiKey: 'bedrock-api-key-1' });
    gateway = await startTestGateway(config(mock.url));
  });

  after(async () => {
    await gateway.close();
    await mock.close();
  });

  beforeEach(() => {
    mock.requests.length = 0;
  });

  function post(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
      body: JSON.stringify(body),
    });
  }

  it('passes a streamed Claude request through InvokeModelWithResponseStream, pinned to the key deployment', async () => {
    handler = (_request, response) => writeInvokeStream(response, anthropicTextEvents({ model: 'claude-pinned', text: 'Hello from Bedrock, in pieces.', pieceLength: 5 }), { writeBytes: 37 });
    const response = await post(
      { model: 'bedrock/claude-pinned', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'u1' } },
      { 'anthropic-beta': 'interleaved-thinking-2025-05-14, context-1m-2025-08-07' },
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = parseSse(await response.text());
    const message = anthropicMessageFromEvents(events.map((event) => event.data));
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello from Bedrock, in pieces.' }]);
    assert.equal(message.stop_reason, 'end_turn');

    assert.equal(mock.requests.length, 1);
    const upstream = mock.requests[0];
    assert.equal(upstream.refusal, undefined, 'the SigV4 signature verifies');
    assert.equal(upstream.authentication, 'sigv4');
    assert.equal(upstream.operation, 'invoke-with-response-stream');
    assert.equal(upstream.modelId, 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/key-profile', "the key's deployment wins");
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.model, undefined);
    assert.equal(upstream.json.stream, undefined);
    assert.equal(upstream.json.anthropic_version, 'bedrock-2023-05-31');
    assert.deepEqual(upstream.json.anthropic_beta, ['interleaved-thinking-2025-05-14', 'context-1m-2025-08-07']);
    assert.deepEqual(upstream.json.messages, [{ role: 'user', content: 'hi' }]);
    assert.deepEqual(upstream.json.metadata, { user_id: 'u1' }, 'other fields are kept intact');
  });

  it('relays the event JSON byte for byte as SSE data', async () => {
    const events = anthropicToolUseEvents({ model: 'm', toolName: 'Write', input: { file_path: '/tmp/a', content: 'x' }, pieceLength: 4 });
    handler = (_request, response) => writeInvokeStream(response, events);
    const response = await post({ model: 'bedrock/claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const text = await response.text();
    const expected = events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
    assert.equal(text, expected);
    assert.equal(mock.requests[0].modelId, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', "the provider's deployment maps the name");
  });

  it('passes a non-streamed Claude request through InvokeModel and returns the JSON unchanged', async () => {
    const message = anthropicTextMessage({ model: 'claude-sonnet-4-5', text: 'plain answer' });
    handler = (_request, response) => writeBedrockJson(response, message);
    const response = await post({ model: 'bedrock/anthropic.claude-3-5-haiku-20241022-v1:0', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), message);
    assert.equal(mock.requests[0].operation, 'invoke');
    assert.equal(mock.requests[0].modelId, 'anthropic.claude-3-5-haiku-20241022-v1:0');
    assert.match(mock.requests[0].url, /anthropic\.claude-3-5-haiku-20241022-v1%3A0\/invoke$/, 'the model id is URL-encoded in the path');
  });

  it('refuses a request signed with the wrong secret (the mock verifies signatures) as an authentication error', async () => {
    handler = (_request, response) => writeBedrockJson(response, anthropicTextMessage({ model: 'x', text: 'should not happen' }));
    const response = await post({ model: 'bedrock-bad-secret/claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.error.type, 'authentication_error');
    assert.match(body.error.message, /InvalidSignatureException/);
    assert.match(mock.requests[0].refusal ?? '', /signature we calculated does not match/);
  });

  it('sends a Bedrock API key as a Bearer token', async () => {
    handler = (_request, response) => writeBedrockJson(response, anthropicTextMessage({ model: 'x', text: 'ok' }));
    const response = await post({ model: 'bedrock-api-key/us.anthropic.claude-haiku-4-5-20251001-v1:0', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 200);
    assert.equal(mock.requests[0].headers.authorization, 'Bearer bedrock-api-key-1');
  });

  it('answers 401 naming the fix when an instance has no credentials', async () => {
    const response = await post({ model: 'bedrock-no-credentials/claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 401);
    const body = (await response.json()) as { error: { type: string; message: string } };
    assert.match(body.error.message, /credential_chain/);
    assert.equal(mock.requests.length, 0);
  });

  for (const [errorType, status, expectedStatus, expectedKind] of [
    ['ValidationException', 400, 400, 'invalid_request_error'],
    ['AccessDeniedException', 403, 403, 'permission_error'],
    ['ResourceNotFoundException', 404, 404, 'not_found_error'],
    ['ThrottlingException', 429, 429, 'rate_limit_error'],
    ['ServiceUnavailableException', 503, 529, 'overloaded_error'],
    ['ModelNotReadyException', 429, 529, 'overloaded_error'],
    ['ModelTimeoutException', 408, 504, 'timeout_error'],
    ['InternalServerException', 500, 500, 'api_error'],
  ] as const) {
    it(`maps ${errorType} to ${expectedStatus} ${expectedKind}, streaming or not`, async () => {
      handler = (_request, response) => writeBedrockError(response, status, errorType, `mock ${errorType}`);
      for (const stream of [false, true]) {
        const response = await post({ model: 'bedrock/claude-sonnet-4-5', max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] });
        assert.equal(response.status, expectedStatus);
        const body = (await response.json()) as { type: string; error: { type: string; message: string } };
        assert.equal(body.type, 'error');
        assert.equal(body.error.type, expectedKind);
        assert.match(body.error.message, new RegExp(`mock ${errorType}`));
      }
    });
  }

  it('turns an exception inside the event stream into an SSE error event', async () => {
    const events = anthropicTextEvents({ model: 'm', text: 'partial' }).slice(0, 4);
    handler = (_request, response) => writeInvokeStream(response, events, { exception: { type: 'throttlingException', message: 'Too many tokens' } });
    const response = await post({ model: 'bedrock/claude-sonnet-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 200);
    const parsed = parseSse(await response.text());
    const last = parsed[parsed.length - 1];
    assert.equal(last.event, 'error');
    assert.ok(isRecord(last.data) && isRecord(last.data.error));
    assert.equal(last.data.error.type, 'rate_limit_error');
    assert.match(String(last.data.error.message), /Too many tokens/);
  });

  it('counts tokens with Bedrock CountTokens', async () => {
    handler = (request, response) => writeBedrockJson(response, { inputTokens: request.operation === 'count-tokens' ? 321 : -1 });
    const response = await fetch(`${gateway.url}/anthropic/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bedrock/claude-sonnet-4-5', messages: [{ role: 'user', content: 'count me' }] }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { input_tokens: 321 });
    const upstream = mock.requests[0];
    assert.ok(isRecord(upstream.json) && isRecord(upstream.json.input) && isRecord(upstream.json.input.invokeModel));
    const inner = JSON.parse(Buffer.from(String(upstream.json.input.invokeModel.body), 'base64').toString('utf8')) as Record<string, unknown>;
    assert.equal(inner.anthropic_version, 'bedrock-2023-05-31');
    assert.deepEqual(inner.messages, [{ role: 'user', content: 'count me' }]);
  });

  describe('non-Claude models through Converse', () => {
    it('translates a tool-using request into Converse and the stream back into Anthropic events', async () => {
      handler = (_request, response) =>
        writeConverseStream(response, [
          { messageStart: { role: 'assistant' } },
          { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Let me write it.' } } },
          { contentBlockStop: { contentBlockIndex: 0 } },
          { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_1', name: 'Write' } } } },
          { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"file_path":' } } } },
          { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '"/tmp/x","content":"hi"}' } } } },
          { contentBlockStop: { contentBlockIndex: 1 } },
          { messageStop: { stopReason: 'tool_use' } },
          { metadata: { usage: { inputTokens: 30, outputTokens: 12, totalTokens: 50, cacheReadInputTokens: 5, cacheWriteInputTokens: 3 }, metrics: { latencyMs: 10 } } },
        ]);
      const response = await post({
        model: 'bedrock/meta.llama3-3-70b-instruct-v1:0',
        max_tokens: 200,
        stream: true,
        temperature: 0.2,
        stop_sequences: ['END'],
        system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
        tools: [{ name: 'Write', description: 'write a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
        tool_choice: { type: 'any' },
        messages: [
          { role: 'user', content: 'write' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_0', name: 'Write', input: { file_path: '/tmp/y' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0', is_error: true, content: 'disk full' }] },
        ],
      });
      assert.equal(response.status, 200);
      const message = anthropicMessageFromEvents(parseSse(await response.text()).map((event) => event.data));
      assert.deepEqual(message.content, [
        { type: 'text', text: 'Let me write it.' },
        { type: 'tool_use', id: 'tooluse_1', name: 'Write', input: { file_path: '/tmp/x', content: 'hi' } },
      ]);
      assert.equal(message.stop_reason, 'tool_use');
      assert.equal(message.usage.input_tokens, 30);
      assert.equal(message.usage.cache_read_input_tokens, 5);
      assert.equal(message.usage.cache_creation_input_tokens, 3);
      const dropped = response.headers.get('x-heimdall-dropped-fields') ?? '';
      assert.match(dropped, /tool_choice/, 'a forced tool choice the model cannot take is recorded as dropped');

      const upstream = mock.requests[0];
      assert.equal(upstream.operation, 'converse-stream');
      assert.equal(upstream.modelId, 'meta.llama3-3-70b-instruct-v1:0');
      assert.equal(upstream.refusal, undefined);
      assert.deepEqual(upstream.json, {
        messages: [
          { role: 'user', content: [{ text: 'write' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 'toolu_0', name: 'Write', input: { file_path: '/tmp/y' } } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 'toolu_0', content: [{ text: 'disk full' }], status: 'error' } }] },
        ],
        system: [{ text: 'be brief' }],
        inferenceConfig: { maxTokens: 200, temperature: 0.2, stopSequences: ['END'] },
        toolConfig: {
          tools: [{ toolSpec: { name: 'Write', description: 'write a file', inputSchema: { json: { type: 'object', properties: { file_path: { type: 'string' } } } } } }],
          toolChoice: { auto: {} },
        },
      });
    });

    it('maps a Converse error status to the Anthropic error', async () => {
      handler = (_request, response) => writeBedrockError(response, 429, 'ThrottlingException', 'slow down');
      const response = await post({ model: 'bedrock/mistral.mistral-large-2407-v1:0', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(response.status, 429);
      const body = (await response.json()) as { error: { type: string; message: string } };
      assert.equal(body.error.type, 'rate_limit_error');
      assert.match(body.error.message, /slow down/);
    });

    it('turns a mid-stream Converse exception into an SSE error event', async () => {
      handler = (_request, response) =>
        writeConverseStream(response, [{ messageStart: { role: 'assistant' } }, { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'part' } } }], {
          exception: { type: 'modelStreamErrorException', message: 'model broke' },
        });
      const response = await post({ model: 'bedrock/amazon.nova-pro-v1:0', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      const events = parseSse(await response.text());
      const last = events[events.length - 1];
      assert.equal(last.event, 'error');
      assert.ok(isRecord(last.data) && isRecord(last.data.error));
      assert.match(String(last.data.error.message), /model broke/);
    });

    describe('recorded Bedrock responses', { skip: skipWithoutSharedFixtures() }, () => {
      /** The text and tool calls a recorded stream describes, folded test-side from its events. */
      function expectedFromChunks(chunks: unknown[]): { text: string; reasoning: string; signature: string; tools: Array<{ id: string; name: string; input: unknown }>; stopReason: string } {
        let text = '';
        let reasoning = '';
        let signature = '';
        let stopReason = '';
        const tools = new Map<number, { id: string; name: string; json: string }>();
        for (const chunk of chunks) {
          if (!isRecord(chunk)) continue;
          const start = chunk.contentBlockStart;
          if (isRecord(start) && isRecord(start.start) && isRecord(start.start.toolUse)) {
            tools.set(Number(start.contentBlockIndex), { id: String(start.start.toolUse.toolUseId), name: String(start.start.toolUse.name), json: '' });
          }
          const delta = chunk.contentBlockDelta;
          if (isRecord(delta) && isRecord(delta.delta)) {
            if (typeof delta.delta.text === 'string') text += delta.delta.text;
            if (isRecord(delta.delta.toolUse)) tools.get(Number(delta.contentBlockIndex))!.json += String(delta.delta.toolUse.input);
            if (isRecord(delta.delta.reasoningContent)) {
              reasoning += String(delta.delta.reasoningContent.text ?? '');
              signature += String(delta.delta.reasoningContent.signature ?? '');
            }
          }
          if (isRecord(chunk.messageStop)) stopReason = String(chunk.messageStop.stopReason);
        }
        return {
          text,
          reasoning,
          signature,
          stopReason,
          tools: [...tools.values()].map((tool) => ({ id: tool.id, name: tool.name, input: tool.json === '' ? {} : (JSON.parse(tool.json) as unknown) })),
        };
      }

      for (const [name, file] of [
        ['text', 'amazon-bedrock-text'],
        ['a tool call', 'amazon-bedrock-tool-call.1'],
        ['a tool call without arguments', 'amazon-bedrock-tool-no-args'],
        ['reasoning with a signature', 'amazon-bedrock-reasoning'],
      ] as const) {
        it(`replays the recorded stream of ${name} (framed as the binary event stream)`, async () => {
          const chunks = readRecordedChunks(`${FIXTURES}/${file}.chunks.txt`);
          handler = (_request, response) => writeConverseStream(response, chunks, { writeBytes: 29 });
          const response = await post({ model: 'bedrock/amazon.nova-premier-v1:0', max_tokens: 1000, stream: true, messages: [{ role: 'user', content: 'go' }] });
          assert.equal(response.status, 200);
          const message = anthropicMessageFromEvents(parseSse(await response.text()).map((event) => event.data));
          const expected = expectedFromChunks(chunks);
          const texts = message.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
          assert.equal(texts, expected.text);
          const thinking = message.content.find((block) => block.type === 'thinking');
          if (expected.reasoning !== '') {
            assert.ok(thinking !== undefined, 'the reasoning arrives as a thinking block');
            assert.equal(thinking.thinking, expected.reasoning);
            assert.equal(thinking.signature, expected.signature);
          }
          const tools = message.content.filter((block) => block.type === 'tool_use').map((block) => ({ id: block.id, name: block.name, input: block.input }));
          assert.deepEqual(tools, expected.tools);
          assert.equal(message.stop_reason, expected.stopReason === 'tool_use' ? 'tool_use' : 'end_turn');
          const metadata = chunks.find((chunk) => isRecord(chunk) && isRecord(chunk.metadata));
          if (isRecord(metadata) && isRecord(metadata.metadata) && isRecord(metadata.metadata.usage)) {
            assert.equal(message.usage.output_tokens, metadata.metadata.usage.outputTokens);
          }
        });

        it(`replays the recorded response of ${name} (non-streaming)`, async () => {
          const recorded = JSON.parse(readSharedFixture(`${FIXTURES}/${file}.json`)) as { output: { message: { content: Array<Record<string, unknown>> } }; usage: { inputTokens: number; outputTokens: number }; stopReason: string };
          handler = (_request, response) => writeBedrockJson(response, recorded);
          const response = await post({ model: 'bedrock/amazon.nova-premier-v1:0', max_tokens: 1000, messages: [{ role: 'user', content: 'go' }] });
          assert.equal(response.status, 200);
          const message = (await response.json()) as { content: Array<Record<string, unknown>>; stop_reason: string; usage: { input_tokens: number; output_tokens: number } };
          const expectedContent = recorded.output.message.content.map((block) => {
            if (typeof block.text === 'string') return { type: 'text', text: block.text };
            if (isRecord(block.toolUse)) return { type: 'tool_use', id: block.toolUse.toolUseId, name: block.toolUse.name, input: block.toolUse.input };
            const reasoning = (block.reasoningContent as { reasoningText: { text: string; signature: string } }).reasoningText;
            return { type: 'thinking', thinking: reasoning.text, signature: reasoning.signature };
          });
          assert.deepEqual(message.content, expectedContent);
          assert.equal(message.stop_reason, recorded.stopReason);
          assert.equal(message.usage.input_tokens, recorded.usage.inputTokens);
          assert.equal(message.usage.output_tokens, recorded.usage.outputTokens);
        });
      }
    });
  });
});
