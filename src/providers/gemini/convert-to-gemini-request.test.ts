import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import { AnthropicStreamEncoder } from '../../inbound/anthropic/anthropic-stream-encoder.js';
import { parseAnthropicRequest } from '../../inbound/anthropic/parse-anthropic-request.js';
import { anthropicMessageFromEvents } from '../../testing/anthropic-sse.js';
import { readRecordedChunks, readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { convertToGeminiRequest } from './convert-to-gemini-request.js';
import type { GeminiContent, GeminiPart } from './gemini-api-types.js';
import { GeminiStreamTranslator } from './gemini-stream.js';
import { SKIP_THOUGHT_SIGNATURE_VALIDATOR, newGeminiToolCallId, reasoningSignatureFromThoughtSignature } from './gemini-thought-signature.js';

function baseRequest(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return { model: 'gemini-2.5-flash', system: [], messages: [], tools: [], maxOutputTokens: 1024, stream: false, ...overrides };
}

function convert(request: GatewayRequest, dialect: 'gemini-api' | 'vertex' = 'gemini-api'): { body: ReturnType<typeof convertToGeminiRequest>; dropped: DroppedFieldLog } {
  const dropped = new DroppedFieldLog();
  return { body: convertToGeminiRequest(request, dropped, { dialect }), dropped };
}

/** What Claude Code receives for a recorded Gemini stream: the Anthropic message it stores in its history. */
function anthropicMessageFor(fixture: string): { role: 'assistant'; content: Array<Record<string, unknown>> } {
  const events: Record<string, unknown>[] = [];
  const encoder = new AnthropicStreamEncoder((_type, payload) => events.push(payload), { id: 'msg_1', model: 'gemini' });
  const translator = new GeminiStreamTranslator(encoder);
  encoder.start();
  for (const chunk of readRecordedChunks(fixture)) translator.push(chunk);
  translator.end();
  encoder.end();
  return { role: 'assistant', content: anthropicMessageFromEvents(events).content as Array<Record<string, unknown>> };
}

describe('convertToGeminiRequest', () => {
  it('sends system blocks as systemInstruction, mid-conversation system text as user text, and merges same-role turns', () => {
    const { body } = convert(
      baseRequest({
        system: [{ type: 'text', text: 'You are terse.' }, { type: 'text', text: 'Answer in English.' }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          { role: 'system', content: [{ type: 'text', text: '<system-reminder>be nice</system-reminder>' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
          { role: 'user', content: [{ type: 'text', text: 'Bye' }] },
        ],
      }),
    );
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'You are terse.' }, { text: 'Answer in English.' }] });
    assert.deepEqual(body.contents, [
      { role: 'user', parts: [{ text: 'Hi' }, { text: '<system-reminder>be nice</system-reminder>' }] },
      { role: 'model', parts: [{ text: 'Hello' }] },
      { role: 'user', parts: [{ text: 'Bye' }] },
    ]);
  });

  it('converts tool calls and results: names from the calls, errors marked, responses first in the turn', () => {
    const { body } = convert(
      baseRequest({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'tool-call', id: 'toolu_a', name: 'weather', input: { city: 'Paris' } },
              { type: 'tool-call', id: 'toolu_b', name: 'time', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'here you go' },
              { type: 'tool-result', toolCallId: 'toolu_a', content: [{ type: 'text', text: 'sunny' }], isError: false },
              { type: 'tool-result', toolCallId: 'toolu_b', content: [{ type: 'text', text: 'clock broken' }], isError: true },
            ],
          },
        ],
        tools: [
          { name: 'weather', description: 'Weather by city', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
          { name: 'time', inputSchema: { type: 'object', properties: {} } },
        ],
        toolChoice: { type: 'tool', name: 'weather' },
      }),
    );
    assert.deepEqual(body.contents[1], {
      role: 'model',
      parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }, { functionCall: { name: 'time', args: {} } }],
    });
    assert.deepEqual(body.contents[2], {
      role: 'user',
      parts: [
        { functionResponse: { name: 'weather', response: { output: 'sunny' } } },
        { functionResponse: { name: 'time', response: { error: 'clock broken' } } },
        { text: 'here you go' },
      ],
    });
    assert.deepEqual(body.tools, [
      {
        functionDeclarations: [
          { name: 'weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
          { name: 'time' },
        ],
      },
    ]);
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } });
  });

  it('refuses a tool result for a call no turn made', () => {
    assert.throws(
      () => convert(baseRequest({ messages: [{ role: 'user', content: [{ type: 'tool-result', toolCallId: 'toolu_x', content: [], isError: false }] }] })),
      /toolu_x/,
    );
  });

  it('sends inline images and PDFs, and drops URLs the API cannot fetch (recorded)', () => {
    const request = baseRequest({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
            { type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' } },
            { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'image', source: { kind: 'url', url: 'gs://bucket/dog.png' } },
          ],
        },
      ],
    });
    const api = convert(request);
    assert.deepEqual(api.body.contents[0].parts, [
      { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBER' } },
      { text: '[image omitted: https://example.com/cat.jpg]' },
      { text: '[image omitted: gs://bucket/dog.png]' },
    ]);
    assert.deepEqual(api.dropped.entries.map((entry) => entry.field), ['messages[0].content[2]', 'messages[0].content[3]']);
    const vertex = convert(request, 'vertex');
    assert.deepEqual(vertex.body.contents[0].parts.slice(2), [
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } },
      { fileData: { mimeType: 'image/png', fileUri: 'gs://bucket/dog.png' } },
    ]);
    assert.equal(vertex.dropped.entries.length, 0);
  });

  it('maps generation settings, JSON output and the stop-sequence limit', () => {
    const { body, dropped } = convert(
      baseRequest({
        temperature: 0.5,
        topP: 0.9,
        topK: 40,
        stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'],
        responseFormat: { type: 'json-schema', schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false } },
        user: 'user-1',
      }),
    );
    assert.deepEqual(body.generationConfig, {
      maxOutputTokens: 1024,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      stopSequences: ['a', 'b', 'c', 'd', 'e'],
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
    });
    assert.deepEqual(dropped.entries.map((entry) => entry.field).sort(), ['metadata.user_id', 'stop_sequences']);
  });

  it('maps reasoning to thinkingBudget (Gemini 2.5) and thinkingLevel (Gemini 3)', () => {
    const thinking = (overrides: Partial<GatewayRequest>): unknown => convert(baseRequest(overrides)).body.generationConfig?.thinkingConfig;
    assert.deepEqual(thinking({ reasoning: { mode: 'enabled', budgetTokens: 8000 } }), { includeThoughts: true, thinkingBudget: 8000 });
    assert.deepEqual(thinking({ reasoning: { mode: 'enabled', budgetTokens: 31999 } }), { includeThoughts: true, thinkingBudget: 24576 });
    assert.deepEqual(thinking({ reasoning: { mode: 'adaptive' } }), { includeThoughts: true, thinkingBudget: -1 });
    assert.deepEqual(thinking({ reasoning: { mode: 'disabled' } }), { thinkingBudget: 0 });
    assert.deepEqual(thinking({ model: 'gemini-2.5-pro', reasoning: { mode: 'disabled' } }), { thinkingBudget: 128 });
    assert.deepEqual(thinking({ effort: 'low' }), { includeThoughts: true, thinkingBudget: 1024 });
    assert.deepEqual(thinking({ model: 'gemini-3-pro-preview', reasoning: { mode: 'enabled', budgetTokens: 4000 } }), { includeThoughts: true, thinkingLevel: 'low' });
    assert.deepEqual(thinking({ model: 'gemini-3-pro-preview', reasoning: { mode: 'adaptive' }, effort: 'medium' }), { includeThoughts: true, thinkingLevel: 'high' });
    assert.deepEqual(thinking({ model: 'gemini-3-flash-preview', effort: 'medium' }), { includeThoughts: true, thinkingLevel: 'medium' });
    assert.deepEqual(thinking({ model: 'gemini-3-flash-preview', reasoning: { mode: 'disabled' } }), { thinkingLevel: 'minimal' });
    assert.equal(thinking({ model: 'gemini-2.0-flash', reasoning: { mode: 'enabled', budgetTokens: 2000 } }), undefined);
    assert.equal(thinking({}), undefined);
  });

  it('converts the recorded Claude Code follow-up turn for Gemini 3', { skip: skipWithoutSharedFixtures() }, () => {
    const dropped = new DroppedFieldLog();
    const request = parseAnthropicRequest(JSON.parse(readSharedFixture('claude-code/messages-after-tool-result.json')), dropped);
    const body = convertToGeminiRequest({ ...request, model: 'gemini-3-pro-preview' }, dropped, { dialect: 'gemini-api' });
    assert.deepEqual(body.contents.map((content) => content.role), ['user', 'model', 'user'], 'roles alternate; the system message joined the first user turn');
    const call = body.contents[1].parts.find((part) => part.functionCall !== undefined);
    assert.equal(call?.functionCall?.name, 'Write');
    assert.equal(call?.thoughtSignature, SKIP_THOUGHT_SIGNATURE_VALIDATOR, 'a call Claude made gets the documented placeholder signature');
    assert.equal(body.contents[2].parts[0].functionResponse?.name, 'Write');
    assert.equal(body.tools?.[0].functionDeclarations?.length, 25);
    assert.ok(body.systemInstruction !== undefined && body.systemInstruction.parts.length > 0);
  });
});

describe('thought signatures across turns', () => {
  it('sends the signature of a streamed function call back on the same functionCall part next turn', { skip: skipWithoutSharedFixtures() }, () => {
    const fixture = 'upstream/google/google-tool-call-gemini3.chunks.txt';
    const recordedSignature = (readRecordedChunks(fixture)[0] as { candidates: Array<{ content: { parts: Array<{ thoughtSignature: string }> } }> }).candidates[0]
      .content.parts[0].thoughtSignature;
    // turn 1: what the client (Claude Code) got and keeps in its history
    const assistant = anthropicMessageFor(fixture);
    const toolUse = assistant.content.find((block) => block.type === 'tool_use');
    assert.ok(toolUse !== undefined);
    // turn 2: the client sends its history back with the tool result
    const nextTurn = {
      model: 'gemini-3-pro-preview',
      max_tokens: 1000,
      messages: [
        { role: 'user', content: 'What is the weather in San Francisco?' },
        assistant,
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '18°C, fog' }] },
      ],
      tools: [{ name: 'weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
    };
    const dropped = new DroppedFieldLog();
    const body = convertToGeminiRequest(parseAnthropicRequest(JSON.parse(JSON.stringify(nextTurn)), dropped), dropped, { dialect: 'gemini-api' });
    const model = body.contents.find((content: GeminiContent) => content.role === 'model');
    assert.deepEqual(model?.parts, [{ functionCall: { name: 'weather', args: { location: 'San Francisco' } }, thoughtSignature: recordedSignature }]);
    assert.deepEqual(body.contents[2].parts, [{ functionResponse: { name: 'weather', response: { output: '18°C, fog' } } }]);
  });

  it('sends thought text back as a thought part with its signature, and never another provider signature', () => {
    const { body, dropped } = convert(
      baseRequest({
        model: 'gemini-3-flash-preview',
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'pondering', signature: reasoningSignatureFromThoughtSignature('R2VtaW5p') },
              { type: 'reasoning', text: 'claude thoughts', signature: 'EqQBCkYIBxgCKkA' },
              { type: 'tool-call', id: newGeminiToolCallId('Zm9v+/bar=='), name: 'f', input: { a: 1 } },
            ],
          },
          { role: 'user', content: [{ type: 'text', text: 'go on' }] },
        ],
      }),
    );
    assert.deepEqual(body.contents[1].parts, [
      { text: 'pondering', thought: true, thoughtSignature: 'R2VtaW5p' },
      { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'Zm9v+/bar==' },
    ] satisfies GeminiPart[]);
    assert.deepEqual(dropped.entries.map((entry) => entry.field), ['messages[1].content[1]']);
  });
});

describe('tool-call ids carrying thought signatures', () => {
  it('round-trips padded, unpadded and non-base64 signatures exactly, with Anthropic-safe characters', async () => {
    const { thoughtSignatureFromToolCallId } = await import('./gemini-thought-signature.js');
    for (const signature of ['Zm9v+/bar==', 'Zm9vYg=', 'EsgBCsUBAb4', 'not base64: ü/+', 'skip_thought_signature_validator']) {
      const id = newGeminiToolCallId(signature);
      assert.match(id, /^[A-Za-z0-9_-]+$/);
      assert.equal(thoughtSignatureFromToolCallId(id), signature);
    }
    assert.equal(thoughtSignatureFromToolCallId(newGeminiToolCallId()), undefined);
    assert.equal(thoughtSignatureFromToolCallId('toolu_01ABCdef'), undefined, 'ids from other providers carry none');
  });
});
