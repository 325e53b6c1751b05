import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamEvent } from '../../core/stream-events.js';
import { AnthropicStreamEncoder } from '../../inbound/anthropic/anthropic-stream-encoder.js';
import { anthropicMessageFromEvents, type AnthropicMessageJson } from '../../testing/anthropic-sse.js';
import { readRecordedChunks, readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { convertGeminiResponse } from './convert-gemini-response.js';
import { GeminiStreamTranslator } from './gemini-stream.js';
import { thoughtSignatureFromReasoningSignature, thoughtSignatureFromToolCallId } from './gemini-thought-signature.js';

/** Replays a recorded stream through the translator and the Anthropic encoder. */
function replay(fixture: string): { events: StreamEvent[]; message: AnthropicMessageJson } {
  const events: StreamEvent[] = [];
  const anthropicEvents: Record<string, unknown>[] = [];
  const encoder = new AnthropicStreamEncoder((_type, payload) => anthropicEvents.push(payload), { id: 'msg_test', model: 'gemini-test' });
  encoder.start();
  const translator = new GeminiStreamTranslator({
    event: (event) => {
      events.push(event);
      encoder.event(event);
    },
  });
  for (const chunk of readRecordedChunks(`upstream/${fixture}`)) translator.push(chunk);
  assert.ok(translator.sawFinishReason, `${fixture}: the stream reports a finish reason`);
  translator.end();
  encoder.end();
  return { events, message: anthropicMessageFromEvents(anthropicEvents) };
}

/** The thought signatures of the recorded function-call parts, in order. */
function recordedFunctionCallSignatures(fixture: string): string[] {
  const signatures: string[] = [];
  for (const chunk of readRecordedChunks(`upstream/${fixture}`)) {
    const candidates = (chunk as { candidates?: Array<{ content?: { parts?: Array<Record<string, unknown>> } }> }).candidates ?? [];
    for (const part of candidates[0]?.content?.parts ?? []) {
      if (part.functionCall !== undefined && typeof part.thoughtSignature === 'string') signatures.push(part.thoughtSignature);
    }
  }
  return signatures;
}

function toolUses(message: AnthropicMessageJson): Array<{ id: string; name: string; input: unknown }> {
  return message.content.filter((block) => block.type === 'tool_use') as unknown as Array<{ id: string; name: string; input: unknown }>;
}

function textOf(message: AnthropicMessageJson): string {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join('');
}

const skip = skipWithoutSharedFixtures();

describe('GeminiStreamTranslator over recorded Gemini streams', () => {
  it('streams text with Anthropic usage semantics (google-text)', { skip }, () => {
    const { events, message } = replay('google/google-text.chunks.txt');
    assert.deepEqual(events[0], { type: 'response-metadata', id: 'bH6LaZW8Fp_3nsEPqtaSwQ4', model: 'gemini-3-pro-preview' });
    assert.equal(textOf(message), 'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y');
    assert.equal(message.stop_reason, 'end_turn');
    // prompt 9 (none cached); output = candidates 23 + thoughts 185
    assert.deepEqual(message.usage, { input_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 208 });
    const usage = events.find((event) => event.type === 'usage');
    assert.deepEqual(usage, { type: 'usage', usage: { inputTokens: 9, outputTokens: 208, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 185 } });
    assert.equal(events[events.length - 1].type, 'finish');
  });

  it('streams a reasoning model answer (google-reasoning, google-reasoning-gemini3)', { skip }, () => {
    for (const fixture of ['google/google-reasoning.chunks.txt', 'google/google-reasoning-gemini3.chunks.txt']) {
      const { message } = replay(fixture);
      assert.match(textOf(message), /There are \*\*3\*\* "r"s in/);
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.content.filter((block) => block.type === 'tool_use').length, 0);
    }
  });

  it('turns a whole functionCall into a tool_use whose id carries the thought signature (google-tool-call)', { skip }, () => {
    for (const fixture of ['google/google-tool-call.chunks.txt', 'google/google-tool-call-gemini3.chunks.txt']) {
      const { message } = replay(fixture);
      const calls = toolUses(message);
      assert.equal(calls.length, 1, fixture);
      assert.equal(calls[0].name, 'weather');
      assert.deepEqual(calls[0].input, { location: 'San Francisco' });
      assert.match(calls[0].id, /^[A-Za-z0-9_-]+$/, 'the id fits Anthropic tool_use ids');
      assert.equal(thoughtSignatureFromToolCallId(calls[0].id), recordedFunctionCallSignatures(fixture)[0], 'the signature comes back exactly');
      assert.equal(message.stop_reason, 'tool_use', 'Gemini says STOP; Claude Code needs tool_use');
      assert.equal(message.usage.input_tokens, 29);
    }
  });

  it('keeps thought text as thinking and assembles argument-less and streamed calls (google-stream-no-args-tool-call)', { skip }, () => {
    const fixture = 'google/google-stream-no-args-tool-call.chunks.txt';
    const { message } = replay(fixture);
    assert.equal(message.content[0].type, 'thinking');
    assert.match(String(message.content[0].thinking), /^\*\*Processing User Requests\*\*/);
    const calls = toolUses(message);
    assert.deepEqual(
      calls.map((call) => [call.name, call.input]),
      [
        ['read_theme', {}],
        ['read_screen', { id: 'A' }],
        ['read_screen', { id: 'B' }],
        ['read_screen', { id: 'C' }],
      ],
    );
    assert.equal(thoughtSignatureFromToolCallId(calls[0].id), recordedFunctionCallSignatures(fixture)[0]);
    assert.equal(thoughtSignatureFromToolCallId(calls[1].id), undefined, 'parallel calls after the first carry no signature');
    assert.equal(new Set(calls.map((call) => call.id)).size, 4, 'every call has its own id');
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(message.usage, { input_tokens: 249, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 58 + 183 });
  });

  it('assembles Vertex streamed arguments (partialArgs by JSON path)', { skip }, () => {
    const weather = toolUses(replay('google/google-stream-tool-call-arguments.chunks.txt').message);
    assert.deepEqual(
      weather.map((call) => call.input),
      [{ location: 'Boston' }, { location: 'San Francisco' }],
    );

    const items = toolUses(replay('google/google-stream-tool-call-array-arguments-missing-terminal-function-call.chunks.txt').message);
    assert.deepEqual(items.map((call) => call.name), ['writeItems']);
    assert.deepEqual(items[0].input, {
      operations: [
        { action: 'add', description: 'Fresh red apple', itemid: 'apple_001', price: 0.5 },
        { action: 'add', description: 'Ripe yellow banana', itemid: 'banana_001', price: 0.3 },
      ],
    });

    const { message } = replay('google/google-vertex-stream-tool-call-arguments-nested.1.chunks.txt');
    const [recipeCall] = toolUses(message);
    const recipe = (recipeCall.input as { recipe: { name: string; ingredients: Array<{ name: string; amount: string }>; steps: string[] } }).recipe;
    assert.equal(recipe.name, 'Lasagna');
    assert.equal(recipe.ingredients.length, 10);
    assert.deepEqual(recipe.ingredients[0], { amount: '16 oz', name: 'Lasagna noodles' });
    assert.equal(recipe.steps.length, 10);
    assert.equal(recipe.steps[1], 'Cook lasagna noodles according to package directions, drain and set aside.', 'string pieces of one path are joined');
    assert.equal(recipe.steps[4], 'In a 9x13 baking dish, spread a thin layer of meat sauce.');
    assert.equal(message.usage.output_tokens, 684 + 1026);
  });
});

describe('convertGeminiResponse over recorded Gemini responses', () => {
  it('converts text, tool calls, signatures and usage', { skip }, () => {
    const text = convertGeminiResponse(JSON.parse(readSharedFixture('upstream/google/google-text.json')), { requestedModel: 'x' });
    assert.deepEqual(text.content, [{ type: 'text', text: "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y." }]);
    assert.equal(text.finishReason, 'end-turn');
    assert.equal(text.model, 'gemini-3-pro-preview');
    assert.equal(text.id, 'Un6LacrVMcjUxs0PmJfWoQc');
    assert.deepEqual(text.usage, { inputTokens: 9, outputTokens: 28 + 244, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 244 });

    const body = JSON.parse(readSharedFixture('upstream/google/google-tool-call-gemini3.json')) as {
      candidates: Array<{ content: { parts: Array<{ thoughtSignature: string }> } }>;
    };
    const toolCall = convertGeminiResponse(body, { requestedModel: 'x' });
    assert.equal(toolCall.finishReason, 'tool-use');
    const [call] = toolCall.content;
    assert.ok(call.type === 'tool-call');
    assert.equal(call.name, 'weather');
    assert.deepEqual(call.input, { location: 'San Francisco' });
    assert.equal(thoughtSignatureFromToolCallId(call.id), body.candidates[0].content.parts[0].thoughtSignature);
  });

  it('keeps thought parts as reasoning with a Gemini signature and counts cached tokens apart', () => {
    const response = convertGeminiResponse(
      {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'Let me think', thought: true }, { text: ' more.', thought: true, thoughtSignature: 'c2ln' }, { text: 'Answer' }] },
            finishReason: 'MAX_TOKENS',
          },
        ],
        usageMetadata: { promptTokenCount: 1000, cachedContentTokenCount: 800, candidatesTokenCount: 10, thoughtsTokenCount: 5 },
      },
      { requestedModel: 'gemini-2.5-flash' },
    );
    assert.equal(response.content.length, 2);
    const [reasoning, text] = response.content;
    assert.ok(reasoning.type === 'reasoning');
    assert.equal(reasoning.text, 'Let me think more.');
    assert.equal(thoughtSignatureFromReasoningSignature(reasoning.signature), 'c2ln');
    assert.deepEqual(text, { type: 'text', text: 'Answer' });
    assert.equal(response.finishReason, 'max-tokens');
    assert.equal(response.model, 'gemini-2.5-flash');
    assert.deepEqual(response.usage, { inputTokens: 200, outputTokens: 15, cacheReadTokens: 800, cacheWriteTokens: 0, reasoningTokens: 5 });
  });

  it('reports a refused prompt and safety stops as content filtering', () => {
    assert.equal(convertGeminiResponse({ promptFeedback: { blockReason: 'SAFETY' } }, { requestedModel: 'x' }).finishReason, 'content-filter');
    assert.equal(
      convertGeminiResponse({ candidates: [{ content: { parts: [] }, finishReason: 'RECITATION' }] }, { requestedModel: 'x' }).finishReason,
      'content-filter',
    );
  });
});
