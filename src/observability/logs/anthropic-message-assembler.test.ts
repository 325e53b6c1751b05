import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicSseFrame, anthropicTextEvents, anthropicToolUseEvents } from '../../testing/anthropic-sse.js';
import { AnthropicMessageAssembler, AnthropicRelayObserver, observeEventWriter } from './anthropic-message-assembler.js';

test('relayed SSE split at arbitrary byte boundaries assembles the message and usage', () => {
  const events = [...anthropicTextEvents({ model: 'claude-x', text: 'héllo wörld', inputTokens: 12, outputTokens: 7, pieceLength: 3 })];
  const bytes = Buffer.from(events.map(anthropicSseFrame).join(''));
  const assembler = new AnthropicMessageAssembler(true);
  const observer = new AnthropicRelayObserver(assembler, true);
  for (let offset = 0; offset < bytes.length; offset += 5) observer.chunk(bytes.subarray(offset, offset + 5));
  observer.end();
  assert.deepEqual(assembler.usage, { inputTokens: 12, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0 });
  assert.equal(assembler.stopReason, 'end_turn');
  const message = assembler.result() as { content: unknown[]; stop_reason: string };
  assert.deepEqual(message.content, [{ type: 'text', text: 'héllo wörld' }]);
  assert.equal(message.stop_reason, 'end_turn');
});

test('tool input JSON deltas become the block input; content off keeps only usage', () => {
  const events = anthropicToolUseEvents({ model: 'claude-x', toolName: 'get_weather', input: { city: 'Oslo' }, inputTokens: 5, outputTokens: 9 });
  const withContent = new AnthropicMessageAssembler(true);
  const usageOnly = new AnthropicMessageAssembler(false);
  const writes: string[] = [];
  const writer = observeEventWriter((name) => writes.push(name), withContent, () => undefined);
  for (const event of events) {
    writer(event.type, event as unknown as Record<string, unknown>);
    if (usageOnly.wants(event.type)) usageOnly.event(event.type, event);
  }
  assert.equal(writes.length, events.length, 'every event still reaches the caller');
  const message = withContent.result() as { content: Array<Record<string, unknown>> };
  assert.deepEqual(message.content[0].input, { city: 'Oslo' });
  assert.equal(usageOnly.result(), undefined);
  assert.equal(usageOnly.usage.outputTokens, 9);
  assert.equal(usageOnly.wants('content_block_delta'), false);
});

test('a JSON body and an error event', () => {
  const assembler = new AnthropicMessageAssembler(true);
  const observer = new AnthropicRelayObserver(assembler, false);
  observer.chunk(Buffer.from('{"type":"message","content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens",'));
  observer.chunk(Buffer.from('"usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":2,"cache_creation_input_tokens":1}}'));
  observer.end();
  assert.deepEqual(assembler.usage, { inputTokens: 3, outputTokens: 4, cacheReadTokens: 2, cacheWriteTokens: 1 });
  assert.equal(assembler.stopReason, 'max_tokens');
  const failing = new AnthropicMessageAssembler(false);
  failing.event('error', { type: 'error', error: { type: 'overloaded_error', message: 'busy' } });
  assert.deepEqual(failing.error, { type: 'overloaded_error', message: 'busy' });
});
