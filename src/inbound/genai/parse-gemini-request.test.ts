import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { thoughtSignatureFromReasoningSignature } from '../../providers/gemini/gemini-thought-signature.js';
import { GeminiStreamEncoder } from './gemini-stream-encoder.js';
import { parseGenaiPath } from './parse-genai-path.js';
import { parseGeminiRequest } from './parse-gemini-request.js';

describe('parseGenaiPath', () => {
  it('reads the Vertex, Vertex express and Gemini API shapes, with and without a version', () => {
    assert.deepEqual(parseGenaiPath('/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict'), {
      shape: 'vertex',
      project: 'p',
      location: 'us-east5',
      publisher: 'anthropic',
      model: 'claude-sonnet-4-5@20250929',
      method: 'streamRawPredict',
    });
    assert.deepEqual(parseGenaiPath('/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:countTokens')?.method, 'countTokens');
    assert.deepEqual(parseGenaiPath('/v1beta1/publishers/google/models/gemini-2.5-pro%3Atest:generateContent'), {
      shape: 'vertex',
      publisher: 'google',
      model: 'gemini-2.5-pro:test',
      method: 'generateContent',
    });
    assert.deepEqual(parseGenaiPath('/v1beta/models/gemini-2.5-flash:streamGenerateContent'), { shape: 'gemini-api', model: 'gemini-2.5-flash', method: 'streamGenerateContent' });
    assert.deepEqual(parseGenaiPath('/v1beta/models/openai/gpt-5:generateContent'), { shape: 'gemini-api', model: 'openai/gpt-5', method: 'generateContent' });
    assert.equal(parseGenaiPath('/v1beta/models/gemini-2.5-flash'), undefined);
    assert.equal(parseGenaiPath('/v1beta/tunedModels/x:generateContent'), undefined);
    assert.equal(parseGenaiPath('/projects/p/publishers/google/models/x:generateContent'), undefined);
  });
});

describe('parseGeminiRequest', () => {
  it('converts contents, pairs function responses with calls by name and order, and keeps thought signatures', () => {
    const dropped = new DroppedFieldLog();
    const request = parseGeminiRequest(
      {
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'Look up a and b' }, { inlineData: { mimeType: 'image/png', data: 'iVBOR' } }] },
          {
            role: 'model',
            parts: [
              { text: 'thinking…', thought: true, thoughtSignature: 'c2ln' },
              { functionCall: { name: 'lookup', args: { key: 'a' } } },
              { functionCall: { name: 'lookup', args: { key: 'b' } } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'lookup', response: { output: 'A' } } },
              { functionResponse: { name: 'lookup', response: { error: 'no b' } } },
            ],
          },
        ],
        tools: [
          {
            functionDeclarations: [
              { name: 'lookup', description: 'Looks up', parameters: { type: 'OBJECT', properties: { key: { type: 'STRING', nullable: true } }, required: ['key'] } },
            ],
          },
          { googleSearch: {} },
        ],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } },
        generationConfig: { maxOutputTokens: 256, temperature: 0.3, stopSequences: ['END'], thinkingConfig: { thinkingBudget: 2048, includeThoughts: true }, seed: 7 },
        safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
      },
      dropped,
      { model: 'openai/gpt-5', stream: true },
    );
    assert.deepEqual(request.system, [{ type: 'text', text: 'Be brief.' }]);
    assert.equal(request.messages.length, 3);
    const [user, model, results] = request.messages;
    assert.deepEqual(user.content, [
      { type: 'text', text: 'Look up a and b' },
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
    ]);
    assert.ok(model.role === 'assistant');
    const [reasoning, firstCall, secondCall] = model.content;
    assert.ok(reasoning.type === 'reasoning' && thoughtSignatureFromReasoningSignature(reasoning.signature) === 'c2ln');
    assert.ok(firstCall.type === 'tool-call' && secondCall.type === 'tool-call');
    assert.notEqual(firstCall.id, secondCall.id);
    assert.deepEqual(results.content, [
      { type: 'tool-result', toolCallId: firstCall.id, content: [{ type: 'text', text: 'A' }], isError: false },
      { type: 'tool-result', toolCallId: secondCall.id, content: [{ type: 'text', text: 'no b' }], isError: true },
    ]);
    assert.deepEqual(request.tools, [
      {
        name: 'lookup',
        description: 'Looks up',
        inputSchema: { type: 'object', properties: { key: { type: ['string', 'null'] } }, required: ['key'] },
      },
    ]);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'lookup' });
    assert.equal(request.maxOutputTokens, 256);
    assert.equal(request.temperature, 0.3);
    assert.deepEqual(request.stopSequences, ['END']);
    assert.deepEqual(request.reasoning, { mode: 'enabled', budgetTokens: 2048 });
    assert.equal(request.stream, true);
    assert.deepEqual(dropped.entries.map((entry) => entry.field).sort(), ['generationConfig.seed', 'safetySettings', 'tools.1.googleSearch']);
  });

  it('refuses malformed bodies naming the field', () => {
    assert.throws(() => parseGeminiRequest({ contents: 'hi' }, new DroppedFieldLog(), { model: 'm', stream: false }), /contents: Input should be a valid list/);
    assert.throws(() => parseGeminiRequest({ contents: [{ role: 'robot', parts: [] }] }, new DroppedFieldLog(), { model: 'm', stream: false }), /contents\.0\.role/);
  });
});

describe('GeminiStreamEncoder', () => {
  it('streams text and thoughts as they come and sends tool calls whole with the finish', () => {
    const chunks: Record<string, unknown>[] = [];
    const encoder = new GeminiStreamEncoder((chunk) => chunks.push(chunk), { model: 'openai/gpt-5', responseId: 'r1' });
    const events: StreamEvent[] = [
      { type: 'response-metadata', id: 'x' },
      { type: 'reasoning-delta', text: 'hmm' },
      { type: 'text-delta', text: 'Hi' },
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'lookup' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"key":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"a"}' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 1 } },
      { type: 'finish', reason: 'tool-use' },
    ];
    for (const event of events) encoder.event(event);
    encoder.end();
    const parts = chunks.map((chunk) => (chunk as { candidates: Array<{ content: { parts: unknown[] } }> }).candidates[0].content.parts);
    assert.deepEqual(parts, [[{ text: 'hmm', thought: true }], [{ text: 'Hi' }], [{ functionCall: { id: 'call_1', name: 'lookup', args: { key: 'a' } } }]]);
    const last = chunks[2] as { candidates: Array<{ finishReason: string }>; usageMetadata: unknown; modelVersion: string; responseId: string };
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.deepEqual(last.usageMetadata, { promptTokenCount: 12, candidatesTokenCount: 4, totalTokenCount: 17, cachedContentTokenCount: 2, thoughtsTokenCount: 1 });
    assert.equal(last.modelVersion, 'openai/gpt-5');
  });
});
