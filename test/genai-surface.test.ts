/**
 * The `/genai` surface: Google's API shapes served by the gateway.
 *
 * - The official `@google/genai` client (Gemini API shape, and Vertex express shape) calling
 *   `generateContent`, `generateContentStream` and `countTokens`, served (a) by the mock Gemini API
 *   as a same-format passthrough and (b) by an OpenAI Chat Completions mock through translation.
 * - Claude Code's Vertex-mode requests (`…/publishers/anthropic/models/…:streamRawPredict`), served
 *   by a configured Vertex provider, or by Anthropic when no Vertex provider is configured.
 * - Errors in Google's shape.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import { FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import type { RunningGateway } from '../src/start-gateway.js';
import { anthropicMessageFromEvents, anthropicTextEvents, writeAnthropicSse } from '../src/testing/anthropic-sse.js';
import {
  geminiChunk,
  geminiFinalChunk,
  startMockGoogle,
  writeGeminiSse,
  writeGoogleJson,
  type GoogleRecordedRequest,
  type MockGoogle,
} from '../src/testing/mock-google.js';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from '../src/testing/openai-chat-sse.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('/genai with @google/genai', () => {
  let google: MockGoogle;
  let openai: MockUpstream;
  let anthropic: MockUpstream;
  let gateway: RunningGateway;
  let anthropicOnlyGateway: RunningGateway;
  let googleHandler: (request: GoogleRecordedRequest, response: ServerResponse) => void | Promise<void>;
  let openaiHandler: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

  before(async () => {
    google = await startMockGoogle((request, response) => googleHandler(request, response));
    openai = await startMockUpstream((request, response) => openaiHandler(request, response));
    anthropic = await startMockUpstream(async (request, response) => {
      await writeAnthropicSse(response, anthropicTextEvents({ model: String((request.json as { model?: string }).model), text: 'Claude from Anthropic' }));
    });
    gateway = await startTestGateway(
      {
        providers: {
          gemini: { base_url: google.geminiBaseUrl, keys: [{ value: google.apiKey }] },
          vertex: { base_url: google.url, region: 'us-east5', google_cloud: { credentials: JSON.stringify(google.serviceAccount.json) } },
          openai: { base_url: `${openai.url}/v1`, keys: [{ value: 'sk-test' }] },
        },
      },
      {},
    );
    anthropicOnlyGateway = await startTestGateway({ providers: { anthropic: { base_url: anthropic.url, keys: [{ value: 'sk-ant' }] } } });
  });

  after(async () => {
    await anthropicOnlyGateway.close();
    await gateway.close();
    await anthropic.close();
    await openai.close();
    await google.close();
  });

  beforeEach(() => {
    google.requests.length = 0;
    openai.requests.length = 0;
  });

  function geminiClient(): GoogleGenAI {
    return new GoogleGenAI({ apiKey: 'client-key-not-forwarded', httpOptions: { baseUrl: `${gateway.url}/genai` } });
  }

  it('passes generateContent, generateContentStream and countTokens through to the Gemini API untouched', async () => {
    googleHandler = (request, response) => {
      if (request.rpc === 'countTokens') writeGoogleJson(response, { totalTokens: 31 });
      else if (request.rpc === 'streamGenerateContent') writeGeminiSse(response, [geminiChunk([{ text: 'Hel' }]), geminiFinalChunk([{ text: 'lo!' }], { prompt: 4, candidates: 2 })]);
      else writeGoogleJson(response, geminiFinalChunk([{ text: 'Hello there' }], { prompt: 4, candidates: 2 }));
    };
    const client = geminiClient();
    const generated = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'Say hello', config: { temperature: 0.2 } });
    assert.equal(generated.text, 'Hello there');
    assert.equal(generated.usageMetadata?.promptTokenCount, 4);

    const pieces: string[] = [];
    for await (const chunk of await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Say hello' })) pieces.push(chunk.text ?? '');
    assert.equal(pieces.join(''), 'Hello!');

    const counted = await client.models.countTokens({ model: 'gemini-2.5-flash', contents: 'Say hello' });
    assert.equal(counted.totalTokens, 31);

    assert.deepEqual(
      google.requests.map((request) => `${request.api} ${request.url}`),
      [
        'gemini-api /v1beta/models/gemini-2.5-flash:generateContent',
        'gemini-api /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
        'gemini-api /v1beta/models/gemini-2.5-flash:countTokens',
      ],
    );
    for (const request of google.requests) assert.equal(request.headers['x-goog-api-key'], google.apiKey, "the provider's key replaces the client's");
    assert.deepEqual(google.requests[0].json, { contents: [{ parts: [{ text: 'Say hello' }], role: 'user' }], generationConfig: { temperature: 0.2 } });
  });

  it('passes the Vertex shape (express mode) through to Vertex AI Gemini models', async () => {
    googleHandler = (_request, response) => writeGoogleJson(response, geminiFinalChunk([{ text: 'From Vertex' }], { prompt: 1, candidates: 2 }));
    const client = new GoogleGenAI({ vertexai: true, apiKey: 'client-key', httpOptions: { baseUrl: `${gateway.url}/genai` } });
    const generated = await client.models.generateContent({ model: 'gemini-2.5-pro', contents: 'Hi' });
    assert.equal(generated.text, 'From Vertex');
    const [request] = google.requests;
    assert.equal(request.api, 'vertex');
    assert.equal(request.url, '/v1/projects/heimdall-test-project/locations/us-east5/publishers/google/models/gemini-2.5-pro:generateContent');
    assert.match(String(request.headers.authorization), /^Bearer ya29\.test-/);
  });

  it('serves @google/genai from an OpenAI-format provider through translation', async () => {
    openaiHandler = async (request, response) => {
      const body = request.json as { stream?: boolean; tools?: unknown[] };
      const usage = openAiUsage(12, 6);
      if (body.stream === true) {
        await writeOpenAiChatSse(
          response,
          openAiChatStreamChunks({
            model: 'gpt-test',
            text: 'Let me check.',
            toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: JSON.stringify({ city: 'Oslo', unit: 'celsius' }) }],
            argumentPieceLength: 5,
            usage,
          }),
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text: 'Translated hello', usage })));
    };
    const client = geminiClient();
    const generated = await client.models.generateContent({
      model: 'openai/gpt-test',
      contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }],
      config: { systemInstruction: 'Be kind.', maxOutputTokens: 50 },
    });
    assert.equal(generated.text, 'Translated hello');
    assert.equal(generated.usageMetadata?.promptTokenCount, 12);
    assert.equal(generated.usageMetadata?.candidatesTokenCount, 6);
    const first = openai.requests[0].json as Record<string, unknown>;
    assert.equal(first.model, 'gpt-test');
    assert.deepEqual(first.messages, [
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Say hello' },
    ]);

    const stream = await client.models.generateContentStream({
      model: 'openai/gpt-test',
      contents: 'Weather in Oslo?',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'Current weather',
                parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING }, unit: { type: Type.STRING, enum: ['celsius', 'fahrenheit'], nullable: true } }, required: ['city'] },
              },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } },
      },
    });
    let text = '';
    const calls: Array<{ name?: string; args?: Record<string, unknown>; id?: string }> = [];
    let finishReason: string | undefined;
    for await (const chunk of stream) {
      text += chunk.candidates?.[0]?.content?.parts?.filter((part) => part.text !== undefined && part.thought !== true).map((part) => part.text).join('') ?? '';
      calls.push(...(chunk.functionCalls ?? []));
      finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
    }
    assert.equal(text, 'Let me check.');
    assert.deepEqual(calls.map((call) => [call.name, call.args]), [['get_weather', { city: 'Oslo', unit: 'celsius' }]]);
    assert.equal(finishReason, 'STOP');
    const streamed = openai.requests[1].json as Record<string, unknown>;
    assert.equal(streamed.stream, true);
    assert.deepEqual(streamed.tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather',
          parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
        },
      },
    ]);

    // the next turn: the function response goes back as an OpenAI tool message answering the call
    openaiHandler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text: 'It is 5°C in Oslo.' })));
    };
    const followUp = await client.models.generateContent({
      model: 'openai/gpt-test',
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
        { role: 'model', parts: [{ functionCall: { id: calls[0].id, name: 'get_weather', args: calls[0].args } }] },
        { role: 'user', parts: [{ functionResponse: { id: calls[0].id, name: 'get_weather', response: { output: '5°C' } } }] },
      ],
    });
    assert.equal(followUp.text, 'It is 5°C in Oslo.');
    const messages = (openai.requests[2].json as { messages: Array<Record<string, unknown>> }).messages;
    const assistant = messages.find((message) => message.role === 'assistant');
    const tool = messages.find((message) => message.role === 'tool');
    assert.ok(assistant !== undefined && tool !== undefined);
    assert.equal(tool.tool_call_id, (assistant.tool_calls as Array<{ id: string }>)[0].id);
    assert.equal(tool.content, '5°C');

    const counted = await client.models.countTokens({ model: 'openai/gpt-test', contents: 'Say hello to everyone in the room' });
    assert.ok(typeof counted.totalTokens === 'number' && counted.totalTokens > 5, `an estimate, got ${String(counted.totalTokens)}`);
  });

  it('serves Claude Code’s Vertex-mode streamRawPredict from the Vertex provider', async () => {
    googleHandler = async (request, response) => {
      await writeAnthropicSse(response, anthropicTextEvents({ model: request.model, text: 'Claude on Vertex' }));
    };
    const response = await fetch(`${gateway.url}/genai/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-beta': 'claude-code-20250219' },
      body: JSON.stringify({ anthropic_version: 'vertex-2023-10-16', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(response.status, 200);
    const events = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as unknown);
    const message = anthropicMessageFromEvents(events);
    assert.deepEqual(message.content, [{ type: 'text', text: 'Claude on Vertex' }]);
    const [upstream] = google.requests;
    assert.equal(upstream.url, '/v1/projects/heimdall-test-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict');
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.anthropic_version, 'vertex-2023-10-16');
    assert.equal(upstream.json.model, undefined);
    assert.equal(upstream.headers['anthropic-beta'], 'claude-code-20250219');
  });

  it('serves Vertex-mode Claude requests from Anthropic when no Vertex provider is configured', async () => {
    anthropic.requests.length = 0;
    const response = await fetch(`${anthropicOnlyGateway.url}/genai/projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ anthropic_version: 'vertex-2023-10-16', anthropic_beta: ['interleaved-thinking-2025-05-14'], max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(response.status, 200);
    const events = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)) as unknown);
    assert.deepEqual(anthropicMessageFromEvents(events).content, [{ type: 'text', text: 'Claude from Anthropic' }]);
    const [upstream] = anthropic.requests;
    assert.equal(upstream.url, '/v1/messages');
    assert.deepEqual(upstream.json, { max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], model: 'claude-sonnet-4-5-20250929', stream: true });
    assert.equal(upstream.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14');
  });

  it('answers errors in Google’s shape', async () => {
    const notFound = await fetch(`${gateway.url}/genai/v1beta/tunedModels/x`, { method: 'POST', body: '{}' });
    assert.equal(notFound.status, 404);
    assert.deepEqual(Object.keys(((await notFound.json()) as { error: Record<string, unknown> }).error).sort(), ['code', 'message', 'status']);

    const badJson = await fetch(`${gateway.url}/genai/v1beta/models/openai/gpt-test:generateContent`, { method: 'POST', body: '{nope' });
    assert.equal(badJson.status, 400);
    const badJsonError = ((await badJson.json()) as { error: { code: number; status: string; message: string } }).error;
    assert.equal(badJsonError.code, 400);
    assert.equal(badJsonError.status, 'INVALID_ARGUMENT');
    assert.match(badJsonError.message, /not valid JSON/);

    const unknownModel = await fetch(`${gateway.url}/genai/v1beta/models/mystery-model:generateContent`, { method: 'POST', body: JSON.stringify({ contents: [] }) });
    assert.equal(unknownModel.status, 400);
    assert.match(((await unknownModel.json()) as { error: { message: string } }).error.message, /unknown model 'mystery-model'/);

    const client = geminiClient();
    await assert.rejects(client.models.generateContent({ model: 'openai/gpt-test', contents: [{ role: 'user', parts: [{ functionResponse: { name: 'lookup', response: {} } }] }] }), (error: unknown) => {
      assert.match(String(error), /400/);
      assert.match(String(error), /functionResponse for lookup answers no earlier functionCall/);
      return true;
    });
  });
});
