import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Usage } from '../../core/gateway-response.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { readRecordedChunks, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { OpenAIChatStreamTranslator } from './openai-chat-stream.js';

/** Runs chunks through a translator and returns every event it emitted. */
function replay(chunks: readonly unknown[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  const translator = new OpenAIChatStreamTranslator({ event: (event) => events.push(event) });
  for (const chunk of chunks) translator.push(chunk);
  translator.end();
  return events;
}

interface Summary {
  metadata?: { id?: string; model?: string };
  text: string;
  reasoning: string;
  toolCalls: Array<{ index: number; id: string; name: string; arguments: string }>;
  usage?: Partial<Usage>;
  finish?: string;
}

/** Folds events into what a client would see, checking the ordering rules on the way. */
function summarize(events: StreamEvent[]): Summary {
  const summary: Summary = { text: '', reasoning: '', toolCalls: [] };
  assert.equal(events[0]?.type, 'response-metadata', 'response-metadata comes first');
  assert.equal(events.at(-1)?.type, 'finish', 'finish comes last');
  assert.equal(events.filter((event) => event.type === 'finish').length, 1);
  assert.ok(events.filter((event) => event.type === 'usage').length <= 1);
  for (const event of events) {
    switch (event.type) {
      case 'response-metadata':
        assert.equal(summary.metadata, undefined, 'response-metadata is sent once');
        summary.metadata = { id: event.id, model: event.model };
        break;
      case 'text-delta':
        assert.notEqual(event.text, '');
        summary.text += event.text;
        break;
      case 'reasoning-delta':
        assert.notEqual(event.text, '');
        summary.reasoning += event.text;
        break;
      case 'tool-call-start':
        assert.ok(!summary.toolCalls.some((call) => call.index === event.index), `index ${event.index} starts once`);
        summary.toolCalls.push({ index: event.index, id: event.id, name: event.name, arguments: '' });
        break;
      case 'tool-call-delta': {
        const call = summary.toolCalls.find((candidate) => candidate.index === event.index);
        assert.ok(call !== undefined, `delta for index ${event.index} after its start`);
        call.arguments += event.argumentsDelta;
        break;
      }
      case 'usage':
        assert.equal(summary.finish, undefined, 'usage comes before finish');
        summary.usage = event.usage;
        break;
      case 'finish':
        summary.finish = event.reason;
        break;
      case 'reasoning-signature':
      case 'redacted-reasoning':
        assert.fail(`unexpected ${event.type}`);
        break;
      default: {
        const unreachable: never = event;
        assert.fail(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return summary;
}

/** The concatenation of a string delta field over all chunks, computed independently of the translator. */
function recordedField(chunks: readonly unknown[], field: string): string {
  let text = '';
  for (const chunk of chunks as Array<{ choices?: Array<{ delta?: Record<string, unknown> }> }>) {
    const value = chunk.choices?.[0]?.delta?.[field];
    if (typeof value === 'string') text += value;
  }
  return text;
}

const fixtures = { skip: skipWithoutSharedFixtures() };

describe('OpenAIChatStreamTranslator on recorded streams', () => {
  it('openai/chat-openai-text: text, usage from the trailing empty-choices chunk', fixtures, () => {
    const chunks = readRecordedChunks('upstream/openai/chat-openai-text.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.deepEqual(summary.metadata, { id: 'chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0', model: 'gpt-4.1-nano-2025-04-14' });
    assert.equal(summary.text, recordedField(chunks, 'content'));
    assert.ok(summary.text.startsWith('**Holiday Name:** Harmony Day'));
    assert.deepEqual(summary.usage, { inputTokens: 16, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('groq/groq-text: usage in the finish chunk', fixtures, () => {
    const chunks = readRecordedChunks('upstream/groq/groq-text.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.equal(summary.text, recordedField(chunks, 'content'));
    assert.ok(summary.text.startsWith('Introducing "Luminaria"'));
    assert.deepEqual(summary.usage, { inputTokens: 45, outputTokens: 662, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('groq/groq-tool-call: a call sent whole in one chunk', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/groq/groq-tool-call.chunks.txt')));
    assert.deepEqual(summary.toolCalls, [{ index: 0, id: 'tk85n1k4m', name: 'weather', arguments: '{}' }]);
    assert.equal(summary.text, '');
    assert.deepEqual(summary.usage, { inputTokens: 210, outputTokens: 15, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'tool-use');
  });

  it('groq/groq-reasoning: reasoning from delta.reasoning, reasoning tokens', fixtures, () => {
    const chunks = readRecordedChunks('upstream/groq/groq-reasoning.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.equal(summary.reasoning, recordedField(chunks, 'reasoning'));
    assert.ok(summary.reasoning.startsWith('Okay, let me try to figure out how many'));
    assert.equal(summary.text, recordedField(chunks, 'content'));
    assert.ok(summary.text.endsWith('3}$'));
    assert.deepEqual(summary.usage, { inputTokens: 17, outputTokens: 1107, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 963 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('deepseek/chat-deepseek-text: stopped at the token limit', fixtures, () => {
    const chunks = readRecordedChunks('upstream/deepseek/chat-deepseek-text.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.deepEqual(summary.metadata, { id: 'f6117a0b-129d-46fa-b239-78f01c2c5df9', model: 'deepseek-chat' });
    assert.equal(summary.text, recordedField(chunks, 'content'));
    assert.deepEqual(summary.usage, { inputTokens: 13, outputTokens: 400, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'max-tokens');
  });

  it('deepseek/chat-deepseek-reasoning: reasoning_content then text', fixtures, () => {
    const chunks = readRecordedChunks('upstream/deepseek/chat-deepseek-reasoning.chunks.txt');
    const events = replay(chunks);
    const summary = summarize(events);
    assert.equal(summary.reasoning, recordedField(chunks, 'reasoning_content'));
    assert.equal(summary.text, recordedField(chunks, 'content'));
    const firstText = events.findIndex((event) => event.type === 'text-delta');
    const lastReasoning = events.map((event) => event.type).lastIndexOf('reasoning-delta');
    assert.ok(lastReasoning < firstText, 'reasoning streams before the answer');
    assert.deepEqual(summary.usage, { inputTokens: 18, outputTokens: 219, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 205 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('deepseek/chat-deepseek-tool-call: streamed arguments, cache hits', fixtures, () => {
    const chunks = readRecordedChunks('upstream/deepseek/chat-deepseek-tool-call.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.equal(summary.reasoning, recordedField(chunks, 'reasoning_content'));
    assert.equal(summary.toolCalls.length, 1);
    assert.equal(summary.toolCalls[0].id, 'call_00_ioIn7yN9p1ZOMNpDLwd4MgAF');
    assert.equal(summary.toolCalls[0].name, 'weather');
    assert.deepEqual(JSON.parse(summary.toolCalls[0].arguments), { location: 'San Francisco' });
    assert.deepEqual(summary.usage, { inputTokens: 19, outputTokens: 83, cacheReadTokens: 320, cacheWriteTokens: 0, reasoningTokens: 39 });
    assert.equal(summary.finish, 'tool-use');
  });

  it('mistral/mistral-text', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/mistral/mistral-text.chunks.txt')));
    assert.equal(summary.text, 'Hello, world! This is a test response.');
    assert.deepEqual(summary.usage, { inputTokens: 13, outputTokens: 8, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('mistral/mistral-tool-call: no index, whole call, finish and usage in the same chunk', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/mistral/mistral-tool-call.chunks.txt')));
    assert.deepEqual(summary.toolCalls, [{ index: 0, id: 'gSIMJiOkT', name: 'weather', arguments: '{"location": "San Francisco"}' }]);
    assert.deepEqual(summary.usage, { inputTokens: 124, outputTokens: 22, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'tool-use');
  });

  it('mistral/mistral-incremental-tool-call: a second delta with an empty name', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/mistral/mistral-incremental-tool-call.chunks.txt')));
    assert.deepEqual(summary.toolCalls, [
      { index: 0, id: 'chatcmpl-tool-9f149c74c42f265b', name: 'webSearchTool', arguments: '{"query": "current Berlin weather"}' },
    ]);
    assert.deepEqual(summary.usage, { inputTokens: 43, outputTokens: 14, cacheReadTokens: 128, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'tool-use');
  });

  it('mistral/mistral-reasoning: thinking chunks inside content', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/mistral/mistral-reasoning.chunks.txt')));
    assert.equal(summary.reasoning, 'The user is asking for 2+2. This is basic arithmetic. 2+2=4.');
    assert.equal(summary.text, '2 + 2 = 4');
    assert.deepEqual(summary.usage, { inputTokens: 10, outputTokens: 46, cacheReadTokens: 0, cacheWriteTokens: 0 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('openai-compatible/chat-xai-text: reasoning tokens outside completion_tokens', fixtures, () => {
    const chunks = readRecordedChunks('upstream/openai-compatible/chat-xai-text.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.equal(summary.reasoning, recordedField(chunks, 'reasoning_content'));
    assert.equal(summary.text, recordedField(chunks, 'content'));
    assert.equal(summary.text, 'Grok');
    // prompt 12 (11 cached), completion 2 + reasoning 340 = total 354 - 12
    assert.deepEqual(summary.usage, { inputTokens: 1, outputTokens: 342, cacheReadTokens: 11, cacheWriteTokens: 0, reasoningTokens: 340 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('openai-compatible/chat-xai-tool-call', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/openai-compatible/chat-xai-tool-call.chunks.txt')));
    assert.deepEqual(summary.toolCalls, [{ index: 0, id: 'call_79382389', name: 'weather', arguments: '{"location":"San Francisco"}' }]);
    assert.deepEqual(summary.usage, { inputTokens: 1, outputTokens: 253, cacheReadTokens: 306, cacheWriteTokens: 0, reasoningTokens: 227 });
    assert.equal(summary.finish, 'tool-use');
  });

  it('xai/xai-text', fixtures, () => {
    const chunks = readRecordedChunks('upstream/xai/xai-text.chunks.txt');
    const summary = summarize(replay(chunks));
    assert.deepEqual(summary.metadata, { id: '7327b9f5-1c2f-0a15-3fef-c14a71c460d3', model: 'grok-3-mini' });
    assert.equal(summary.reasoning, 'First, the user said');
    assert.equal(summary.text, 'Hello');
    assert.deepEqual(summary.usage, { inputTokens: 1, outputTokens: 291, cacheReadTokens: 11, cacheWriteTokens: 0, reasoningTokens: 290 });
    assert.equal(summary.finish, 'end-turn');
  });

  it('xai/xai-tool-call', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/xai/xai-tool-call.chunks.txt')));
    assert.equal(summary.reasoning, 'First, the user is');
    assert.deepEqual(summary.toolCalls, [{ index: 0, id: 'call_55117580', name: 'weather', arguments: '{"location":"San Francisco"}' }]);
    assert.deepEqual(summary.usage, { inputTokens: 1, outputTokens: 222, cacheReadTokens: 290, cacheWriteTokens: 0, reasoningTokens: 196 });
    assert.equal(summary.finish, 'tool-use');
  });

  it('moonshotai/moonshotai-stream: reasoning_content and usage in the finish chunk', fixtures, () => {
    const summary = summarize(replay(readRecordedChunks('upstream/moonshotai/moonshotai-stream.chunks.txt')));
    assert.equal(summary.reasoning, 'Thinking aloud. ');
    assert.equal(summary.text, 'Hello!');
    assert.deepEqual(summary.usage, { inputTokens: 9, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 7 });
  });
});

const identity = { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: 'test-model' };

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return { ...identity, choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

function toolDelta(index: number | undefined, fields: { id?: string; name?: string; arguments?: string }): Record<string, unknown> {
  const functionFields: Record<string, string> = {};
  if (fields.name !== undefined) functionFields.name = fields.name;
  if (fields.arguments !== undefined) functionFields.arguments = fields.arguments;
  return {
    tool_calls: [{ ...(index === undefined ? {} : { index }), ...(fields.id === undefined ? {} : { id: fields.id, type: 'function' }), function: functionFields }],
  };
}

describe('OpenAIChatStreamTranslator on hand-written streams', () => {
  it('keeps two parallel tool calls apart when their argument deltas interleave', () => {
    const events = replay([
      chunk({ role: 'assistant', content: null }),
      chunk(toolDelta(0, { id: 'call_a', name: 'read_file', arguments: '' })),
      chunk(toolDelta(1, { id: 'call_b', name: 'list_dir', arguments: '' })),
      chunk(toolDelta(0, { arguments: '{"path":' })),
      chunk(toolDelta(1, { arguments: '{"dir":' })),
      chunk(toolDelta(0, { arguments: '"a.txt"}' })),
      chunk(toolDelta(1, { arguments: '"src"}' })),
      chunk({}, 'tool_calls'),
      { ...identity, choices: [], usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 } },
    ]);
    const summary = summarize(events);
    assert.deepEqual(summary.toolCalls, [
      { index: 0, id: 'call_a', name: 'read_file', arguments: '{"path":"a.txt"}' },
      { index: 1, id: 'call_b', name: 'list_dir', arguments: '{"dir":"src"}' },
    ]);
    assert.deepEqual(
      events.filter((event) => event.type === 'tool-call-delta').map((event) => (event.type === 'tool-call-delta' ? event.index : -1)),
      [0, 1, 0, 1],
    );
    assert.equal(summary.finish, 'tool-use');
  });

  it('handles several whole tool calls without index, in one chunk or one per chunk', () => {
    const sameChunk = replay([
      chunk({
        tool_calls: [
          { id: 'aaaaaaaa1', function: { name: 'one', arguments: '{"x":1}' } },
          { id: 'aaaaaaaa2', function: { name: 'two', arguments: '{"y":2}' } },
        ],
      }, 'tool_calls'),
    ]);
    const separate = replay([
      chunk({ tool_calls: [{ id: 'aaaaaaaa1', function: { name: 'one', arguments: '{"x":1}' } }] }),
      chunk({ tool_calls: [{ id: 'aaaaaaaa2', function: { name: 'two', arguments: '{"y":2}' } }] }, 'tool_calls'),
    ]);
    for (const events of [sameChunk, separate]) {
      assert.deepEqual(summarize(events).toolCalls, [
        { index: 0, id: 'aaaaaaaa1', name: 'one', arguments: '{"x":1}' },
        { index: 1, id: 'aaaaaaaa2', name: 'two', arguments: '{"y":2}' },
      ]);
    }
  });

  it('gives a new call a fresh index when a provider reuses index 0 for it', () => {
    const summary = summarize(replay([
      chunk(toolDelta(0, { id: 'call_1', name: 'one', arguments: '{}' })),
      chunk(toolDelta(0, { id: 'call_2', name: 'two', arguments: '{' })),
      chunk(toolDelta(0, { arguments: '}' }), 'tool_calls'),
    ]));
    assert.deepEqual(summary.toolCalls, [
      { index: 0, id: 'call_1', name: 'one', arguments: '{}' },
      { index: 1, id: 'call_2', name: 'two', arguments: '{}' },
    ]);
  });

  it('waits for the name before starting a call, and makes up a missing id', () => {
    const events = replay([
      chunk(toolDelta(0, { arguments: '{"q":' })),
      chunk(toolDelta(0, { name: 'search', arguments: '"x"}' })),
      chunk({}, 'stop'),
    ]);
    const summary = summarize(events);
    assert.equal(summary.toolCalls.length, 1);
    assert.equal(summary.toolCalls[0].name, 'search');
    assert.equal(summary.toolCalls[0].arguments, '{"q":"x"}');
    assert.match(summary.toolCalls[0].id, /^call_[0-9a-f]{24}$/);
    assert.equal(summary.finish, 'tool-use', 'a plain stop after tool calls is reported as tool use');
  });

  it('emits usage that arrives after finish_reason before the finish event', () => {
    const events = replay([
      chunk({ role: 'assistant', content: 'Hi' }),
      chunk({ content: ' there' }),
      chunk({}, 'stop'),
      {
        ...identity,
        choices: [],
        usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 80 } },
      },
    ]);
    assert.deepEqual(events, [
      { type: 'response-metadata', id: 'chatcmpl-test', model: 'test-model' },
      { type: 'text-delta', text: 'Hi' },
      { type: 'text-delta', text: ' there' },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 5, cacheReadTokens: 80, cacheWriteTokens: 0 } },
      { type: 'finish', reason: 'end-turn' },
    ]);
  });

  it('maps the last finish reason and ignores choices other than 0', () => {
    const summary = summarize(replay([
      { ...identity, choices: [{ index: 1, delta: { content: 'other choice' }, finish_reason: null }] },
      chunk({ content: 'filtered' }, 'content_filter'),
    ]));
    assert.equal(summary.text, 'filtered');
    assert.equal(summary.finish, 'content-filter');
  });

  it('reads a reasoning text sent under two field names once', () => {
    const summary = summarize(replay([chunk({ reasoning_content: 'think', reasoning: 'think' }), chunk({ content: 'answer' }, 'stop')]));
    assert.equal(summary.reasoning, 'think');
  });

  it('ignores chunks after end() and values that are not chunks', () => {
    const events: StreamEvent[] = [];
    const translator = new OpenAIChatStreamTranslator({ event: (event) => events.push(event) });
    translator.push('not a chunk');
    translator.push(null);
    translator.push(chunk({ content: 'a' }, 'stop'));
    assert.equal(translator.sawFinishReason, true);
    translator.end();
    translator.push(chunk({ content: 'late' }));
    translator.end();
    assert.deepEqual(events.map((event) => event.type), ['response-metadata', 'text-delta', 'finish']);
  });
});
