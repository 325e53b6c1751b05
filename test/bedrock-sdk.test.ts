/**
 * `@aws-sdk/client-bedrock-runtime` as a client of the gateway's `/bedrock` surface (endpoint =
 * gateway `/bedrock`, dummy credentials): InvokeModel, InvokeModelWithResponseStream, Converse and
 * ConverseStream, served (a) by the Bedrock provider in front of a mock Bedrock that verifies the
 * gateway's own SigV4 signatures, and (b) by an OpenAI-format mock through translation.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RunningGateway } from '../src/start-gateway.js';
import { anthropicMessageFromEvents, anthropicTextEvents, anthropicTextMessage, anthropicToolUseEvents, writeAnthropicSse } from '../src/testing/anthropic-sse.js';
import {
  startMockBedrock,
  TEST_AWS_CREDENTIALS,
  writeBedrockError,
  writeBedrockJson,
  writeConverseStream,
  writeInvokeStream,
  type MockBedrock,
  type MockBedrockHandler,
} from '../src/testing/mock-bedrock.js';
import { startMockUpstream, type MockHandler, type MockUpstream } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from '../src/testing/openai-chat-sse.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const CLAUDE_PROFILE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sdkClient(gateway: RunningGateway): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: `${gateway.url}/bedrock`,
    credentials: { accessKeyId: 'AKIDDUMMY', secretAccessKey: 'dummy-secret' },
    maxAttempts: 1,
    // The SDK speaks HTTP/2 to Bedrock Runtime by default; the gateway serves HTTP/1.1.
    requestHandler: new NodeHttpHandler(),
  });
}

/** The Anthropic events of an InvokeModelWithResponseStream answer, decoded as the SDK gives them. */
async function invokeStreamEvents(client: BedrockRuntimeClient, modelId: string, body: Record<string, unknown>): Promise<unknown[]> {
  const output = await client.send(new InvokeModelWithResponseStreamCommand({ modelId, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(body) }));
  assert.ok(output.body !== undefined);
  const events: unknown[] = [];
  for await (const item of output.body) {
    if (item.chunk?.bytes !== undefined) events.push(JSON.parse(Buffer.from(item.chunk.bytes).toString('utf8')) as unknown);
  }
  return events;
}

/** Folds ConverseStream output into text, tool calls and the stop reason. */
async function foldConverseStream(stream: AsyncIterable<ConverseStreamOutput>): Promise<{ text: string; tools: Array<{ id: string; name: string; input: unknown }>; stopReason: string; outputTokens: number }> {
  let text = '';
  let stopReason = '';
  let outputTokens = -1;
  const tools = new Map<number, { id: string; name: string; json: string }>();
  for await (const event of stream) {
    const start = event.contentBlockStart?.start?.toolUse;
    if (start !== undefined) tools.set(event.contentBlockStart?.contentBlockIndex ?? -1, { id: start.toolUseId ?? '', name: start.name ?? '', json: '' });
    const delta = event.contentBlockDelta;
    if (delta?.delta?.text !== undefined) text += delta.delta.text;
    if (delta?.delta?.toolUse?.input !== undefined) {
      const tool = tools.get(delta.contentBlockIndex ?? -1);
      assert.ok(tool !== undefined, 'a tool delta follows its contentBlockStart');
      tool.json += delta.delta.toolUse.input;
    }
    if (event.messageStop?.stopReason !== undefined) stopReason = event.messageStop.stopReason;
    if (event.metadata?.usage?.outputTokens !== undefined) outputTokens = event.metadata.usage.outputTokens;
  }
  return { text, stopReason, outputTokens, tools: [...tools.values()].map((tool) => ({ id: tool.id, name: tool.name, input: JSON.parse(tool.json === '' ? '{}' : tool.json) as unknown })) };
}

describe('AWS SDK Bedrock Runtime client → /bedrock → Bedrock provider (mock Bedrock with SigV4 checks)', () => {
  let mock: MockBedrock;
  let gateway: RunningGateway;
  let client: BedrockRuntimeClient;
  let handler: MockBedrockHandler = (_request, response) => writeBedrockError(response, 500, 'InternalServerException', 'no handler');

  before(async () => {
    mock = await startMockBedrock((request, response) => handler(request, response));
    gateway = await startTestGateway({
      providers: {
        bedrock: {
          base_url: mock.url,
          region: 'us-east-1',
          keys: [{ access_key_id: TEST_AWS_CREDENTIALS.accessKeyId, value: TEST_AWS_CREDENTIALS.secretAccessKey }],
        },
      },
    });
    client = sdkClient(gateway);
  });

  after(async () => {
    client.destroy();
    await gateway.close();
    await mock.close();
  });

  beforeEach(() => {
    mock.requests.length = 0;
  });

  it('InvokeModelWithResponseStreamCommand streams the Anthropic events of a tool call', async () => {
    const upstreamEvents = anthropicToolUseEvents({ model: 'claude', toolName: 'Write', input: { file_path: '/tmp/f', content: 'data' }, pieceLength: 3 });
    handler = (_request, response) => writeInvokeStream(response, upstreamEvents, { writeBytes: 50 });
    const events = await invokeStreamEvents(client, CLAUDE_PROFILE, {
      anthropic_version: 'bedrock-2023-05-31',
      anthropic_beta: ['interleaved-thinking-2025-05-14'],
      max_tokens: 100,
      messages: [{ role: 'user', content: 'write a file' }],
    });
    assert.deepEqual(events, upstreamEvents, 'every Anthropic event arrives unchanged');
    const message = anthropicMessageFromEvents(events);
    assert.deepEqual(message.content, [{ type: 'tool_use', id: 'toolu_mock_0001', name: 'Write', input: { file_path: '/tmp/f', content: 'data' } }]);

    const upstream = mock.requests[0];
    assert.equal(upstream.refusal, undefined, "the gateway's SigV4 signature verifies at the mock");
    assert.equal(upstream.modelId, CLAUDE_PROFILE);
    assert.equal(upstream.operation, 'invoke-with-response-stream');
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.anthropic_version, 'bedrock-2023-05-31');
    assert.deepEqual(upstream.json.anthropic_beta, ['interleaved-thinking-2025-05-14']);
    assert.equal(upstream.json.model, undefined);
  });

  it('InvokeModelCommand returns the Anthropic message', async () => {
    const message = anthropicTextMessage({ model: 'claude', text: 'non-streamed hello' });
    handler = (_request, response) => writeBedrockJson(response, message);
    const output = await client.send(
      new InvokeModelCommand({ modelId: CLAUDE_PROFILE, body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }) }),
    );
    assert.deepEqual(JSON.parse(Buffer.from(output.body).toString('utf8')), message);
    assert.equal(mock.requests[0].operation, 'invoke');
  });

  it('ConverseCommand is served through Converse upstream', async () => {
    handler = (request, response) =>
      writeBedrockJson(response, {
        output: { message: { role: 'assistant', content: [{ text: `converse answer for ${request.modelId}` }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 7, outputTokens: 4, totalTokens: 11 },
        metrics: { latencyMs: 5 },
      });
    const output = await client.send(
      new ConverseCommand({ modelId: 'meta.llama3-3-70b-instruct-v1:0', messages: [{ role: 'user', content: [{ text: 'hello' }] }], inferenceConfig: { maxTokens: 64 } }),
    );
    assert.equal(output.output?.message?.content?.[0]?.text, 'converse answer for meta.llama3-3-70b-instruct-v1:0');
    assert.equal(output.stopReason, 'end_turn');
    assert.equal(output.usage?.outputTokens, 4);
    assert.equal(mock.requests[0].operation, 'converse');
    assert.deepEqual(mock.requests[0].json, { messages: [{ role: 'user', content: [{ text: 'hello' }] }], inferenceConfig: { maxTokens: 64 } });
  });

  it('ConverseStreamCommand streams a tool call through ConverseStream upstream', async () => {
    handler = (_request, response) =>
      writeConverseStream(response, [
        { messageStart: { role: 'assistant' } },
        { contentBlockStart: { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_a', name: 'get_weather' } } } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { toolUse: { input: '{"city":' } } } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { toolUse: { input: '"Oslo"}' } } } },
        { contentBlockStop: { contentBlockIndex: 0 } },
        { messageStop: { stopReason: 'tool_use' } },
        { metadata: { usage: { inputTokens: 20, outputTokens: 9, totalTokens: 29 }, metrics: { latencyMs: 3 } } },
      ]);
    const output = await client.send(
      new ConverseStreamCommand({
        modelId: 'amazon.nova-pro-v1:0',
        messages: [{ role: 'user', content: [{ text: 'weather in Oslo?' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }] },
      }),
    );
    assert.ok(output.stream !== undefined);
    const folded = await foldConverseStream(output.stream);
    assert.deepEqual(folded.tools, [{ id: 'tooluse_a', name: 'get_weather', input: { city: 'Oslo' } }]);
    assert.equal(folded.stopReason, 'tool_use');
    assert.equal(folded.outputTokens, 9);
  });

  it('Bedrock errors reach the SDK as its typed exceptions', async () => {
    handler = (_request, response) => writeBedrockError(response, 429, 'ThrottlingException', 'Too many requests, please wait');
    await assert.rejects(
      client.send(new InvokeModelCommand({ modelId: CLAUDE_PROFILE, body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }) })),
      (error: unknown) => error instanceof Error && error.name === 'ThrottlingException' && error.message.includes('Too many requests'),
    );
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
      (error: unknown) => error instanceof Error && error.name === 'ThrottlingException',
    );
  });

  it('a malformed Converse request is a ValidationException', async () => {
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: [{ role: 'user', content: [{ text: 'x' }] }], inferenceConfig: { maxTokens: 0 } })),
      (error: unknown) => error instanceof Error && error.name === 'ValidationException',
    );
    assert.equal(mock.requests.length, 0, 'nothing went upstream');
  });
});

describe('AWS SDK Bedrock Runtime client → /bedrock → OpenAI-format provider (translation)', () => {
  let mock: MockUpstream;
  let gateway: RunningGateway;
  let client: BedrockRuntimeClient;
  let handler: MockHandler = (_request, response) => {
    response.writeHead(500);
    response.end();
  };

  before(async () => {
    mock = await startMockUpstream((request, response) => handler(request, response));
    gateway = await startTestGateway({ providers: { openai: { type: 'openai-compatible', base_url: `${mock.url}/v1`, keys: [{ value: 'sk-test' }] } } });
    client = sdkClient(gateway);
  });

  after(async () => {
    client.destroy();
    await gateway.close();
    await mock.close();
  });

  beforeEach(() => {
    mock.requests.length = 0;
  });

  const writeCall = { id: 'call_1', name: 'Write', arguments: JSON.stringify({ file_path: '/tmp/o', content: 'from openai' }) };

  it('InvokeModelWithResponseStreamCommand on openai/gpt-test streams translated Anthropic events', async () => {
    handler = (request, response) => writeOpenAiChatSse(response, openAiChatStreamChunks({ model: 'gpt-test', text: 'Writing now.', toolCalls: [writeCall], argumentPieceLength: 5, usage: openAiUsage(40, 10) }));
    const events = await invokeStreamEvents(client, 'openai/gpt-test', {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 100,
      tools: [{ name: 'Write', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'write' }],
    });
    const message = anthropicMessageFromEvents(events);
    assert.deepEqual(message.content, [
      { type: 'text', text: 'Writing now.' },
      { type: 'tool_use', id: 'call_1', name: 'Write', input: { file_path: '/tmp/o', content: 'from openai' } },
    ]);
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, 10);
    const upstream = mock.requests[0];
    assert.equal(upstream.url, '/v1/chat/completions');
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.model, 'gpt-test', 'the URL-encoded provider/model id resolved to the provider');
    assert.equal(upstream.json.anthropic_version, undefined);
  });

  it('InvokeModelCommand on openai/gpt-test returns a translated Anthropic message', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text: 'plain translated answer', usage: openAiUsage(12, 3) })));
    };
    const output = await client.send(
      new InvokeModelCommand({ modelId: 'openai/gpt-test', body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }) }),
    );
    const message = JSON.parse(Buffer.from(output.body).toString('utf8')) as { type: string; content: unknown[]; stop_reason: string };
    assert.equal(message.type, 'message');
    assert.deepEqual(message.content, [{ type: 'text', text: 'plain translated answer' }]);
    assert.equal(message.stop_reason, 'end_turn');
  });

  it('ConverseCommand on openai/gpt-test is translated both ways', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', toolCalls: [writeCall], usage: openAiUsage(30, 8) })));
    };
    const output = await client.send(
      new ConverseCommand({
        modelId: 'openai/gpt-test',
        system: [{ text: 'You write files.' }],
        messages: [{ role: 'user', content: [{ text: 'write' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'Write', description: 'Writes a file', inputSchema: { json: { type: 'object' } } } }], toolChoice: { any: {} } },
        inferenceConfig: { maxTokens: 77, temperature: 0.5 },
      }),
    );
    assert.equal(output.stopReason, 'tool_use');
    assert.deepEqual(output.output?.message?.content?.[0]?.toolUse, { toolUseId: 'call_1', name: 'Write', input: { file_path: '/tmp/o', content: 'from openai' } });
    assert.equal(output.usage?.inputTokens, 30);
    const upstream = mock.requests[0];
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.model, 'gpt-test');
    assert.equal(upstream.json.max_tokens, 77);
    assert.equal(upstream.json.temperature, 0.5);
    assert.equal(upstream.json.tool_choice, 'required');
    assert.deepEqual(upstream.json.messages, [
      { role: 'system', content: 'You write files.' },
      { role: 'user', content: 'write' },
    ]);
  });

  it('ConverseStreamCommand on openai/gpt-test streams text then a tool call, and the tool result goes back', async () => {
    handler = (_request, response) => writeOpenAiChatSse(response, openAiChatStreamChunks({ model: 'gpt-test', text: 'On it.', toolCalls: [writeCall], argumentPieceLength: 4, usage: openAiUsage(50, 20) }));
    const output = await client.send(
      new ConverseStreamCommand({
        modelId: 'openai/gpt-test',
        messages: [
          { role: 'user', content: [{ text: 'write twice' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_0', name: 'Write', input: { file_path: '/tmp/p' } } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 'call_0', status: 'error', content: [{ text: 'permission denied' }] } }] },
        ],
        toolConfig: { tools: [{ toolSpec: { name: 'Write', inputSchema: { json: { type: 'object' } } } }] },
      }),
    );
    assert.ok(output.stream !== undefined);
    const folded = await foldConverseStream(output.stream);
    assert.equal(folded.text, 'On it.');
    assert.deepEqual(folded.tools, [{ id: 'call_1', name: 'Write', input: { file_path: '/tmp/o', content: 'from openai' } }]);
    assert.equal(folded.stopReason, 'tool_use');
    assert.equal(folded.outputTokens, 20);
    const upstream = mock.requests[0];
    assert.ok(isRecord(upstream.json) && Array.isArray(upstream.json.messages));
    const toolMessage = upstream.json.messages.find((message) => isRecord(message) && message.role === 'tool');
    assert.ok(isRecord(toolMessage));
    assert.equal(toolMessage.tool_call_id, 'call_0');
    assert.match(String(toolMessage.content), /permission denied/);
  });
});

describe('AWS SDK Bedrock Runtime client → /bedrock → Anthropic provider (no Bedrock provider configured)', () => {
  let mock: MockUpstream;
  let gateway: RunningGateway;
  let client: BedrockRuntimeClient;

  before(async () => {
    mock = await startMockUpstream(async (request, response) => {
      const json = request.json;
      if (isRecord(json) && json.stream === true) {
        await writeAnthropicSse(response, anthropicTextEvents({ model: String(json.model), text: 'served by Anthropic' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(anthropicTextMessage({ model: isRecord(json) ? String(json.model) : '', text: 'served by Anthropic' })));
    });
    gateway = await startTestGateway({ providers: { anthropic: { base_url: mock.url, keys: [{ value: 'sk-ant-test' }] } } });
    client = sdkClient(gateway);
  });

  after(async () => {
    client.destroy();
    await gateway.close();
    await mock.close();
  });

  it('maps the Bedrock model id to the Anthropic name and the body to Anthropic form', async () => {
    const events = await invokeStreamEvents(client, CLAUDE_PROFILE, {
      anthropic_version: 'bedrock-2023-05-31',
      anthropic_beta: ['interleaved-thinking-2025-05-14'],
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(anthropicMessageFromEvents(events).content, [{ type: 'text', text: 'served by Anthropic' }]);
    const upstream = mock.requests[mock.requests.length - 1];
    assert.equal(upstream.url, '/v1/messages');
    assert.equal(upstream.headers['x-api-key'], 'sk-ant-test');
    assert.equal(upstream.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14', 'anthropic_beta became the header');
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.model, 'claude-sonnet-4-5-20250929');
    assert.equal(upstream.json.stream, true);
    assert.equal(upstream.json.anthropic_version, undefined);
    assert.equal(upstream.json.anthropic_beta, undefined);
  });

  it('lists the Claude inference profiles it can serve', async () => {
    const response = await fetch(`${gateway.url}/bedrock/inference-profiles?type=SYSTEM_DEFINED`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { inferenceProfileSummaries: Array<{ inferenceProfileId: string; status: string; type: string; inferenceProfileArn: string; models: unknown[] }> };
    const ids = body.inferenceProfileSummaries.map((profile) => profile.inferenceProfileId);
    assert.ok(ids.includes(CLAUDE_PROFILE));
    for (const profile of body.inferenceProfileSummaries) {
      assert.equal(profile.status, 'ACTIVE');
      assert.equal(profile.type, 'SYSTEM_DEFINED');
      assert.match(profile.inferenceProfileArn, /^arn:aws:bedrock:[a-z0-9-]+:\d{12}:inference-profile\//);
      assert.equal(profile.models.length, 1);
    }
    const application = (await (await fetch(`${gateway.url}/bedrock/inference-profiles?type=APPLICATION`)).json()) as { inferenceProfileSummaries: unknown[] };
    assert.deepEqual(application.inferenceProfileSummaries, []);
  });

  it('a model nobody serves is a ValidationException naming what is configured', async () => {
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'meta.llama3-3-70b-instruct-v1:0', messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
      (error: unknown) => error instanceof Error && error.name === 'ValidationException' && error.message.includes('anthropic'),
    );
  });

  it('Converse to an Anthropic passthrough provider is refused with a clear message', async () => {
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: CLAUDE_PROFILE, messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
      (error: unknown) => error instanceof Error && error.name === 'ValidationException' && /cannot serve Converse/.test(error.message),
    );
  });
});
