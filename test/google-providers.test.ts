/**
 * The Gemini API and Vertex AI providers behind `/anthropic/v1/messages`, against mock Google
 * upstreams on 127.0.0.1: a Gemini API that checks its key, a Vertex AI that only answers bearer
 * tokens its token endpoint issued for a test service account (RSA key made here, JWT assertion
 * verified), and Claude on Vertex over rawPredict / streamRawPredict.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import type { RunningGateway } from '../src/start-gateway.js';
import { anthropicMessageFromEvents, anthropicTextEvents, writeAnthropicSse, type AnthropicMessageJson } from '../src/testing/anthropic-sse.js';
import {
  createTestServiceAccount,
  geminiChunk,
  geminiFinalChunk,
  startMockGoogle,
  writeGeminiSse,
  writeGoogleError,
  writeGoogleJson,
  type GoogleRecordedRequest,
  type MockGoogle,
} from '../src/testing/mock-google.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const SIGNATURE = 'CiQBjz1rX2Tq+3Ay/sig==';

/** Parses an Anthropic SSE body into its final message. */
function messageFromSse(text: string): AnthropicMessageJson {
  const events = text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as unknown);
  return anthropicMessageFromEvents(events);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('Gemini API and Vertex AI providers', () => {
  let google: MockGoogle;
  let gateway: RunningGateway;
  let handler: (request: GoogleRecordedRequest, response: ServerResponse) => void | Promise<void>;

  before(async () => {
    google = await startMockGoogle((request, response) => handler(request, response));
    const stranger = createTestServiceAccount(google.tokenUrl);
    gateway = await startTestGateway(
      {
        providers: {
          gemini: { base_url: google.geminiBaseUrl, keys: [{ value: 'env.GEMINI_API_KEY' }] },
          'gemini-wrong-key': { type: 'gemini', base_url: google.geminiBaseUrl, keys: [{ value: 'not-the-key' }] },
          vertex: {
            base_url: google.url,
            region: 'us-east5',
            google_cloud: { project: 'heimdall-project', credentials: 'env.VERTEX_CREDENTIALS' },
          },
          'vertex-stranger': { type: 'vertex', base_url: google.url, google_cloud: { project: 'p', credentials: JSON.stringify(stranger.json) } },
          'vertex-forged': {
            type: 'vertex',
            base_url: google.url,
            google_cloud: { credentials: JSON.stringify(google.serviceAccount.json) },
            headers: { authorization: 'Bearer ya29.forged' },
          },
        },
      },
      { GEMINI_API_KEY: google.apiKey, VERTEX_CREDENTIALS: JSON.stringify(google.serviceAccount.json) },
    );
  });

  after(async () => {
    await gateway.close();
    await google.close();
  });

  beforeEach(() => {
    google.requests.length = 0;
  });

  function post(body: unknown): Promise<Response> {
    return fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' },
      body: JSON.stringify(body),
    });
  }

  it('answers a Gemini API model through translation, with the key in x-goog-api-key', async () => {
    handler = (_request, response) =>
      writeGoogleJson(response, {
        ...geminiFinalChunk([{ text: 'Hello from Gemini' }], { prompt: 120, candidates: 5, thoughts: 10, cached: 100 }),
        modelVersion: 'gemini-2.5-flash-001',
      });
    const response = await post({ model: 'gemini/gemini-2.5-flash', max_tokens: 300, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], metadata: { user_id: 'u1' } });
    assert.equal(response.status, 200);
    const message = (await response.json()) as AnthropicMessageJson;
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello from Gemini' }]);
    assert.equal(message.model, 'gemini/gemini-2.5-flash');
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual(message.usage, { input_tokens: 20, output_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 });
    assert.equal(response.headers.get('x-heimdall-dropped-fields'), 'metadata.user_id');

    const [upstream] = google.requests;
    assert.equal(upstream.api, 'gemini-api');
    assert.equal(upstream.url, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(upstream.headers['x-goog-api-key'], google.apiKey);
    assert.equal(upstream.headers.authorization, undefined);
    assert.deepEqual(upstream.json, {
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 300 },
    });
  });

  it('streams thinking and a tool call, and sends the thought signature back next turn', async () => {
    handler = (_request, response) =>
      writeGeminiSse(response, [
        geminiChunk([{ text: 'Checking the weather tool.', thought: true }]),
        geminiChunk([{ functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SIGNATURE }]),
        geminiFinalChunk([{ text: '' }], { prompt: 50, candidates: 7, thoughts: 30 }),
      ]);
    const tools = [{ name: 'weather', description: 'Weather by city', input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { city: { type: 'string', format: 'uri' } }, required: ['city'], additionalProperties: false } }];
    const firstTurn = {
      model: 'gemini/gemini-3-pro-preview',
      max_tokens: 2000,
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    };
    const response = await post(firstTurn);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const message = messageFromSse(await response.text());
    assert.deepEqual(message.content.map((block) => block.type), ['thinking', 'tool_use']);
    assert.equal(message.content[0].thinking, 'Checking the weather tool.');
    const toolUse = message.content[1] as unknown as { id: string; name: string; input: unknown };
    assert.equal(toolUse.name, 'weather');
    assert.deepEqual(toolUse.input, { city: 'Paris' });
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, 37);

    const firstUpstream = google.requests[0];
    assert.equal(firstUpstream.url, '/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse');
    assert.ok(isRecord(firstUpstream.json));
    assert.deepEqual((firstUpstream.json.generationConfig as Record<string, unknown>).thinkingConfig, { includeThoughts: true, thinkingLevel: 'low' });
    assert.deepEqual(firstUpstream.json.tools, [
      { functionDeclarations: [{ name: 'weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] },
    ]);

    // turn 2: the client sends its history back, as Claude Code does
    handler = (_request, response) => writeGeminiSse(response, [geminiFinalChunk([{ text: 'Sunny, 21°C.' }], { prompt: 80, candidates: 6 })]);
    const second = await post({
      ...firstTurn,
      messages: [
        ...firstTurn.messages,
        { role: 'assistant', content: message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'sunny, 21°C' }] },
      ],
    });
    assert.equal(second.status, 200);
    assert.equal(textOf(messageFromSse(await second.text())), 'Sunny, 21°C.');
    const secondUpstream = google.requests[1];
    assert.ok(isRecord(secondUpstream.json));
    const contents = secondUpstream.json.contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    assert.deepEqual(contents[1], { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SIGNATURE }] });
    assert.deepEqual(contents[2], { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { output: 'sunny, 21°C' } } }] });
  });

  it('turns Gemini API errors into Anthropic errors with the status class and retry delay', async () => {
    handler = () => assert.fail('the wrong key never reaches a handler');
    const wrongKey = await post({ model: 'gemini-wrong-key/gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(wrongKey.status, 400);
    const wrongKeyBody = (await wrongKey.json()) as { error: { type: string; message: string } };
    assert.equal(wrongKeyBody.error.type, 'invalid_request_error');
    assert.match(wrongKeyBody.error.message, /API key not valid/);

    handler = (_request, response) =>
      writeGoogleError(response, 429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34.4s' }]);
    const limited = await post({ model: 'gemini/gemini-2.5-flash', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '35');
    assert.equal(((await limited.json()) as { error: { type: string } }).error.type, 'rate_limit_error');
  });

  it('relays Claude on Vertex (streamRawPredict) with a token from the service account, caching it', async () => {
    handler = async (request, response) => {
      await writeAnthropicSse(response, anthropicTextEvents({ model: request.model, text: 'Claude via Vertex' }));
    };
    const tokensBefore = google.tokensIssued.length;
    for (const model of ['vertex/claude-sonnet-4-5@20250929', 'vertex/claude-sonnet-4-5-20250929']) {
      const response = await post({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(textOf(messageFromSse(await response.text())), 'Claude via Vertex');
    }
    assert.equal(google.tokensIssued.length - tokensBefore <= 1, true, 'one token serves every request');
    for (const upstream of google.requests) {
      assert.equal(upstream.url, '/v1/projects/heimdall-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict');
      assert.ok(google.tokensIssued.includes(String(upstream.headers.authorization).replace('Bearer ', '')));
      assert.equal(upstream.headers['anthropic-beta'], 'interleaved-thinking-2025-05-14');
      assert.ok(isRecord(upstream.json));
      assert.equal(upstream.json.model, undefined, 'the model is in the URL, not the body');
      assert.equal(upstream.json.anthropic_version, 'vertex-2023-10-16');
      assert.equal(upstream.json.stream, true);
    }

    handler = (_request, response) => writeGoogleJson(response, { input_tokens: 17 });
    const count = await fetch(`${gateway.url}/anthropic/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'vertex/claude-sonnet-4-5@20250929', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.deepEqual(await count.json(), { input_tokens: 17 });
    const countRequest = google.requests[google.requests.length - 1];
    assert.equal(countRequest.model, 'count-tokens');
    assert.ok(isRecord(countRequest.json) && countRequest.json.model === 'claude-sonnet-4-5@20250929');
  });

  it('answers Gemini on Vertex through translation at publishers/google', async () => {
    handler = (_request, response) => writeGoogleJson(response, geminiFinalChunk([{ text: 'Gemini via Vertex' }], { prompt: 3, candidates: 4 }));
    const response = await post({ model: 'vertex/gemini-2.5-pro', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(response.status, 200);
    assert.equal(textOf((await response.json()) as AnthropicMessageJson), 'Gemini via Vertex');
    const [upstream] = google.requests;
    assert.equal(upstream.url, '/v1/projects/heimdall-project/locations/us-east5/publishers/google/models/gemini-2.5-pro:generateContent');
    assert.match(String(upstream.headers.authorization), /^Bearer ya29\.test-/);
  });

  it('refuses credentials the token endpoint or Vertex does not accept', async () => {
    handler = () => assert.fail('no refused credential reaches a handler');
    const stranger = await post({ model: 'vertex-stranger/gemini-2.5-pro', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(stranger.status, 502);
    assert.match(((await stranger.json()) as { error: { message: string } }).error.message, /could not get a Google Cloud access token/);
    assert.ok(google.refused.some((line) => line.includes('signature does not verify')), google.refused.join('\n'));

    const forged = await post({ model: 'vertex-forged/gemini-2.5-pro', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as { error: { type: string } }).error.type, 'authentication_error');
    const forgedClaude = await post({ model: 'vertex-forged/claude-sonnet-4-5@20250929', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(forgedClaude.status, 401, 'the Claude passthrough relays Vertex’s 401');
    assert.ok(google.refused.some((line) => line.includes('heimdall-test-project/locations/global/publishers/anthropic') && line.endsWith('401')), google.refused.join('\n'));
  });
});

function textOf(message: AnthropicMessageJson): string {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join('');
}
