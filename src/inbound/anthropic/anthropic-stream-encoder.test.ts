import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { AnthropicStreamEncoder, sseEventWriter } from './anthropic-stream-encoder.js';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Runs IR events through an encoder and parses the SSE it wrote. */
function encode(events: StreamEvent[], options: { fail?: GatewayError } = {}): SseEvent[] {
  let output = '';
  const encoder = new AnthropicStreamEncoder(
    sseEventWriter((sse) => {
      output += sse;
    }),
    { id: 'msg_test', model: 'openai/gpt-test' },
  );
  encoder.start();
  for (const event of events) encoder.event(event);
  if (options.fail !== undefined) encoder.fail(options.fail);
  else encoder.end();
  return output
    .split('\n\n')
    .filter((chunk) => chunk !== '')
    .map((chunk) => {
      const [eventLine, dataLine] = chunk.split('\n');
      assert.ok(eventLine.startsWith('event: ') && dataLine.startsWith('data: '), `malformed SSE: ${chunk}`);
      return { event: eventLine.slice(7), data: JSON.parse(dataLine.slice(6)) as Record<string, unknown> };
    });
}

/** Rebuilds content blocks the way Anthropic's SDK accumulates them, checking block discipline. */
function accumulate(events: SseEvent[]): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  const partialJson: string[] = [];
  let open: number | undefined;
  for (const { event, data } of events) {
    if (event === 'content_block_start') {
      assert.equal(open, undefined, 'a block started while another was open');
      const index = data.index as number;
      assert.equal(index, blocks.length, 'block indexes must be consecutive');
      blocks.push({ ...(data.content_block as Record<string, unknown>) });
      partialJson.push('');
      open = index;
    } else if (event === 'content_block_delta') {
      const index = data.index as number;
      assert.equal(index, open, 'delta for a block that is not open');
      const delta = data.delta as Record<string, string>;
      const block = blocks[index];
      if (delta.type === 'text_delta') block.text = (block.text as string) + delta.text;
      else if (delta.type === 'thinking_delta') block.thinking = (block.thinking as string) + delta.thinking;
      else if (delta.type === 'signature_delta') block.signature = (block.signature as string) + delta.signature;
      else if (delta.type === 'input_json_delta') partialJson[index] += delta.partial_json;
      else assert.fail(`unknown delta ${delta.type}`);
    } else if (event === 'content_block_stop') {
      assert.equal(data.index, open);
      const index = data.index as number;
      if (blocks[index].type === 'tool_use') blocks[index].input = partialJson[index] === '' ? {} : JSON.parse(partialJson[index]);
      open = undefined;
    }
  }
  assert.equal(open, undefined, 'a block was left open');
  return blocks;
}

describe('AnthropicStreamEncoder', () => {
  it('frames a text response as message_start, ping, one text block, message_delta, message_stop', () => {
    const events = encode([
      { type: 'response-metadata', id: 'chatcmpl-1', model: 'gpt-test' },
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: ', world' },
      { type: 'finish', reason: 'end-turn' },
      { type: 'usage', usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 4, cacheWriteTokens: 0 } },
    ]);
    assert.deepEqual(
      events.map((event) => event.event),
      ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    const start = events[0].data.message as Record<string, unknown>;
    assert.equal(start.id, 'msg_test');
    assert.equal(start.model, 'openai/gpt-test');
    assert.deepEqual(accumulate(events), [{ type: 'text', text: 'Hello, world' }]);
    const messageDelta = events[6].data;
    assert.deepEqual(messageDelta.delta, { stop_reason: 'end_turn', stop_sequence: null });
    assert.deepEqual(messageDelta.usage, { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 4, output_tokens: 3 });
  });

  it('streams thinking before text as separate blocks with the signature', () => {
    const blocks = accumulate(
      encode([
        { type: 'reasoning-delta', text: 'Let me ' },
        { type: 'reasoning-delta', text: 'think.' },
        { type: 'reasoning-signature', signature: 'sig' },
        { type: 'text-delta', text: 'Answer' },
        { type: 'finish', reason: 'end-turn' },
      ]),
    );
    assert.deepEqual(blocks, [
      { type: 'thinking', thinking: 'Let me think.', signature: 'sig' },
      { type: 'text', text: 'Answer' },
    ]);
  });

  it('streams a tool call as content_block_start, input_json_delta pieces and stop_reason tool_use', () => {
    const events = encode([
      { type: 'text-delta', text: 'Writing the file.' },
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'Write' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"file_' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'path":"/tmp/a.txt",' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"content":"hi"}' },
      { type: 'finish', reason: 'tool-use' },
    ]);
    const jsonDeltas = events.filter((event) => (event.data.delta as { type?: string } | undefined)?.type === 'input_json_delta');
    assert.equal(jsonDeltas.length, 3, 'each upstream argument piece is streamed as it arrives');
    assert.deepEqual(accumulate(events), [
      { type: 'text', text: 'Writing the file.' },
      { type: 'tool_use', id: 'call_1', name: 'Write', input: { file_path: '/tmp/a.txt', content: 'hi' } },
    ]);
    assert.equal((events.at(-2)?.data.delta as { stop_reason: string }).stop_reason, 'tool_use');
  });

  it('keeps interleaved parallel tool calls apart, one block at a time', () => {
    const events = encode([
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'Read' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"file_path":' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'Bash' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"command":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"/a"}' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '"ls"}' },
      { type: 'finish', reason: 'tool-use' },
    ]);
    assert.deepEqual(accumulate(events), [
      { type: 'tool_use', id: 'call_a', name: 'Read', input: { file_path: '/a' } },
      { type: 'tool_use', id: 'call_b', name: 'Bash', input: { command: 'ls' } },
    ]);
  });

  it('streams sequential tool calls live: the second starts as soon as the first is complete', () => {
    const events = encode([
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'Read' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"file_path":"/a"}' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'Read' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"file_path":' },
    ]);
    const secondStart = events.findIndex((event) => event.event === 'content_block_start' && event.data.index === 1);
    const firstStop = events.findIndex((event) => event.event === 'content_block_stop' && event.data.index === 0);
    const secondDelta = events.findIndex((event) => event.event === 'content_block_delta' && event.data.index === 1);
    assert.ok(firstStop < secondStart && secondStart < secondDelta);
    // The stream ended without a finish event: tool calls still mean tool_use.
    assert.equal((events.at(-2)?.data.delta as { stop_reason: string }).stop_reason, 'tool_use');
  });

  it('reports tool_use when a provider finishes a tool-calling turn with a plain stop', () => {
    const events = encode([
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'Read' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'finish', reason: 'end-turn' },
    ]);
    assert.equal((events.at(-2)?.data.delta as { stop_reason: string }).stop_reason, 'tool_use');
  });

  it('gives tool calls without an upstream id an Anthropic-style id', () => {
    const blocks = accumulate(encode([{ type: 'tool-call-start', index: 0, id: '', name: 'Read' }, { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' }]));
    assert.match(blocks[0].id as string, /^toolu_[A-Za-z0-9]{24}$/);
  });

  it('maps max tokens and stop sequences', () => {
    const maxTokens = encode([{ type: 'text-delta', text: 'a' }, { type: 'finish', reason: 'max-tokens' }]);
    assert.deepEqual(maxTokens.at(-2)?.data.delta, { stop_reason: 'max_tokens', stop_sequence: null });
    const stopSequence = encode([{ type: 'text-delta', text: 'a' }, { type: 'finish', reason: 'stop-sequence', stopSequence: 'END' }]);
    assert.deepEqual(stopSequence.at(-2)?.data.delta, { stop_reason: 'stop_sequence', stop_sequence: 'END' });
  });

  it('ends a failed stream with an Anthropic error event and nothing after it', () => {
    const events = encode([{ type: 'text-delta', text: 'partial' }], {
      fail: new GatewayError('overloaded_error', 'upstream overloaded'),
    });
    const last = events.at(-1);
    assert.equal(last?.event, 'error');
    assert.deepEqual(last?.data, { type: 'error', error: { type: 'overloaded_error', message: 'upstream overloaded' } });
    assert.ok(!events.some((event) => event.event === 'message_stop'));
  });

  it('emits an empty message for an empty upstream stream', () => {
    const events = encode([]);
    assert.deepEqual(
      events.map((event) => event.event),
      ['message_start', 'ping', 'message_delta', 'message_stop'],
    );
  });
});
