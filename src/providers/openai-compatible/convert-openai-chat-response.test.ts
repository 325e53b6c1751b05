import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayResponse } from '../../core/gateway-response.js';
import { readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { convertOpenAIChatResponse, parseToolArguments } from './convert-openai-chat-response.js';

function fromFixture(relativePath: string): { recorded: Record<string, unknown>; response: GatewayResponse } {
  const recorded = JSON.parse(readSharedFixture(relativePath)) as Record<string, unknown>;
  return { recorded, response: convertOpenAIChatResponse(recorded, { requestedModel: 'requested' }) };
}

/** `choices[0].message[field]` of a recorded response. */
function recordedMessageField(recorded: Record<string, unknown>, field: string): unknown {
  const choices = recorded.choices as Array<{ message: Record<string, unknown> }>;
  return choices[0].message[field];
}

const fixtures = { skip: skipWithoutSharedFixtures() };

describe('convertOpenAIChatResponse on recorded responses', () => {
  it('openai/chat-openai-text', fixtures, () => {
    const { recorded, response } = fromFixture('upstream/openai/chat-openai-text.json');
    assert.equal(response.id, 'chatcmpl-D8Z5f52zQqikDBEKQMQoYcWMcWPeU');
    assert.equal(response.model, 'gpt-4.1-nano-2025-04-14');
    assert.deepEqual(response.content, [{ type: 'text', text: recordedMessageField(recorded, 'content') }]);
    assert.equal(response.finishReason, 'end-turn');
    assert.deepEqual(response.usage, { inputTokens: 16, outputTokens: 363, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it('groq text, tool call and reasoning', fixtures, () => {
    const text = fromFixture('upstream/groq/groq-text.json');
    assert.deepEqual(text.response.content, [{ type: 'text', text: recordedMessageField(text.recorded, 'content') }]);
    assert.deepEqual(text.response.usage, { inputTokens: 45, outputTokens: 607, cacheReadTokens: 0, cacheWriteTokens: 0 });

    const tool = fromFixture('upstream/groq/groq-tool-call.json').response;
    assert.deepEqual(tool.content, [{ type: 'tool-call', id: 'ax9fskhev', name: 'weather', input: {} }]);
    assert.equal(tool.finishReason, 'tool-use');

    const reasoning = fromFixture('upstream/groq/groq-reasoning.json');
    assert.deepEqual(reasoning.response.content, [
      { type: 'reasoning', text: recordedMessageField(reasoning.recorded, 'reasoning') },
      { type: 'text', text: recordedMessageField(reasoning.recorded, 'content') },
    ]);
    assert.equal(reasoning.response.usage.reasoningTokens, 570);
  });

  it('deepseek text (length), reasoning, tool call with cache hits, JSON answer', fixtures, () => {
    const text = fromFixture('upstream/deepseek/chat-deepseek-text.json').response;
    assert.equal(text.finishReason, 'max-tokens');

    const reasoning = fromFixture('upstream/deepseek/chat-deepseek-reasoning.json');
    assert.equal(reasoning.response.content[0].type, 'reasoning');
    assert.deepEqual(reasoning.response.content[0], { type: 'reasoning', text: recordedMessageField(reasoning.recorded, 'reasoning_content') });
    assert.deepEqual(reasoning.response.usage, { inputTokens: 18, outputTokens: 345, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 315 });

    const tool = fromFixture('upstream/deepseek/chat-deepseek-tool-call.json').response;
    assert.deepEqual(tool.content.map((part) => part.type), ['reasoning', 'tool-call']);
    assert.deepEqual(tool.content[1], { type: 'tool-call', id: 'call_00_9V0vrf86Pc9aelHCJMZqnJBo', name: 'weather', input: { location: 'San Francisco' } });
    assert.deepEqual(tool.usage, { inputTokens: 19, outputTokens: 92, cacheReadTokens: 320, cacheWriteTokens: 0, reasoningTokens: 48 });
    assert.equal(tool.finishReason, 'tool-use');

    const json = fromFixture('upstream/deepseek/chat-deepseek-json.json').response;
    const answer = json.content.find((part) => part.type === 'text');
    assert.deepEqual(JSON.parse(answer?.type === 'text' ? answer.text : ''), { location: 'San Francisco', condition: 'cloudy', temperature: 7 });
    assert.deepEqual(json.usage, { inputTokens: 175, outputTokens: 144, cacheReadTokens: 320, cacheWriteTokens: 0, reasoningTokens: 118 });
  });

  it('mistral text, tool call without type, thinking chunks', fixtures, () => {
    const text = fromFixture('upstream/mistral/mistral-text.json');
    assert.deepEqual(text.response.content, [{ type: 'text', text: recordedMessageField(text.recorded, 'content') }]);
    assert.deepEqual(text.response.usage, { inputTokens: 13, outputTokens: 434, cacheReadTokens: 0, cacheWriteTokens: 0 });

    const tool = fromFixture('upstream/mistral/mistral-tool-call.json').response;
    assert.deepEqual(tool.content, [{ type: 'tool-call', id: 'gSIMJiOkT', name: 'weather', input: { location: 'San Francisco' } }]);
    assert.equal(tool.finishReason, 'tool-use');

    const reasoning = fromFixture('upstream/mistral/mistral-reasoning.json').response;
    assert.deepEqual(reasoning.content, [
      { type: 'reasoning', text: 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.' },
      { type: 'text', text: '2 + 2 = 4' },
    ]);
    assert.equal(reasoning.model, 'magistral-medium-2507');
  });

  it('xai through openai-compatible and xai: reasoning outside completion tokens, empty content', fixtures, () => {
    const text = fromFixture('upstream/openai-compatible/chat-xai-text.json');
    assert.deepEqual(text.response.content, [
      { type: 'reasoning', text: recordedMessageField(text.recorded, 'reasoning_content') },
      { type: 'text', text: 'Grok' },
    ]);
    // prompt 12 (2 cached), completion 2 + reasoning 320 = total 334 - 12
    assert.deepEqual(text.response.usage, { inputTokens: 10, outputTokens: 322, cacheReadTokens: 2, cacheWriteTokens: 0, reasoningTokens: 320 });

    const tool = fromFixture('upstream/openai-compatible/chat-xai-tool-call.json').response;
    assert.deepEqual(tool.content.map((part) => part.type), ['reasoning', 'tool-call'], 'empty content makes no text part');
    assert.deepEqual(tool.content[1], { type: 'tool-call', id: 'call_46427107', name: 'weather', input: { location: 'San Francisco' } });
    assert.deepEqual(tool.usage, { inputTokens: 63, outputTokens: 281, cacheReadTokens: 244, cacheWriteTokens: 0, reasoningTokens: 255 });

    assert.equal(fromFixture('upstream/xai/xai-text.json').response.usage.outputTokens, 229);
    const xaiTool = fromFixture('upstream/xai/xai-tool-call.json').response;
    assert.deepEqual(xaiTool.content[1], { type: 'tool-call', id: 'call_93562515', name: 'weather', input: { location: 'San Francisco' } });
    assert.equal(xaiTool.finishReason, 'tool-use');
  });

  it('moonshot: reasoning_content, top-level cached_tokens, null content with tool calls', fixtures, () => {
    const reasoning = fromFixture('upstream/moonshotai/moonshotai-reasoning.json').response;
    assert.deepEqual(reasoning.content, [
      { type: 'reasoning', text: 'Let me count the letters carefully.' },
      { type: 'text', text: 'There are three.' },
    ]);
    assert.deepEqual(reasoning.usage, { inputTokens: 10, outputTokens: 30, cacheReadTokens: 10, cacheWriteTokens: 0, reasoningTokens: 22 });
    const tool = fromFixture('upstream/moonshotai/moonshotai-tool-call.json').response;
    assert.deepEqual(tool.content, [{ type: 'tool-call', id: 'call_abc123', name: 'get_weather', input: { city: 'Paris' } }]);
  });
});

describe('convertOpenAIChatResponse on edge cases', () => {
  it('keeps unparseable tool arguments as an empty object and the finish reason as it was', () => {
    const response = convertOpenAIChatResponse(
      {
        id: 'r1',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'write', arguments: '{"path": "a.t' } }] }, finish_reason: 'length' }],
      },
      { requestedModel: 'requested' },
    );
    assert.deepEqual(response.content, [{ type: 'tool-call', id: 'c1', name: 'write', input: {} }]);
    assert.equal(response.finishReason, 'max-tokens');
  });

  it('reports tool use after a plain stop with tool calls, and fills in missing fields', () => {
    const response = convertOpenAIChatResponse(
      { choices: [{ message: { content: 'ok', tool_calls: [{ function: { name: 'noop', arguments: '' } }] }, finish_reason: 'stop' }] },
      { requestedModel: 'requested' },
    );
    assert.equal(response.model, 'requested');
    assert.equal(response.id, undefined);
    assert.equal(response.finishReason, 'tool-use');
    assert.deepEqual(response.usage, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });
    const call = response.content[1];
    assert.ok(call.type === 'tool-call' && /^call_[0-9a-f]{24}$/.test(call.id) && call.name === 'noop');
  });

  it('treats a response without choices as empty', () => {
    const response = convertOpenAIChatResponse({ id: 'x', model: 'm', choices: [] }, { requestedModel: 'requested' });
    assert.deepEqual(response.content, []);
    assert.equal(response.finishReason, 'other');
  });

  it('parses tool arguments', () => {
    assert.deepEqual(parseToolArguments('{"a":1}'), { a: 1 });
    assert.deepEqual(parseToolArguments(''), {});
    assert.deepEqual(parseToolArguments('  '), {});
    assert.deepEqual(parseToolArguments('[1,2]'), {});
    assert.deepEqual(parseToolArguments('"text"'), {});
    assert.deepEqual(parseToolArguments('{broken'), {});
    assert.deepEqual(parseToolArguments({ already: 'object' }), { already: 'object' });
    assert.deepEqual(parseToolArguments(undefined), {});
  });
});
