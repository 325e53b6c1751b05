import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderCallError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { OpenAIChatStreamTranslator } from './openai-chat-stream.js';
import { OpenAIEventReader, type EventStreamEnd } from './read-openai-event-stream.js';

/** `bytes` cut at the given offsets, as a network would deliver them. */
function piecesOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

/** Feeds `bytes`, cut at `cuts`, to a reader and ends it. @throws what the reader throws */
function read(bytes: Buffer, cuts: number[], onChunk: (chunk: unknown) => void, provider = 'test-provider'): EventStreamEnd {
  const reader = new OpenAIEventReader(provider, onChunk);
  for (const piece of piecesOf(bytes, cuts)) reader.feed(piece);
  return reader.end();
}

function collect(bytes: Buffer, cuts: number[] = []): { chunks: unknown[]; sawDone: boolean } {
  const chunks: unknown[] = [];
  const { sawDone } = read(bytes, cuts, (chunk) => chunks.push(chunk));
  return { chunks, sawDone };
}

const chunkA = { id: 'c1', choices: [{ index: 0, delta: { content: 'Grüße, 世界 👋' }, finish_reason: null }] };
const chunkB = { id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
const streamText = `: keep-alive comment\n\ndata: ${JSON.stringify(chunkA)}\r\n\r\ndata: ${JSON.stringify(chunkB)}\n\ndata: [DONE]\n\n`;

describe('OpenAIEventReader', () => {
  it('reads whole events and stops at [DONE]', () => {
    const { chunks, sawDone } = collect(Buffer.from(`${streamText}data: {"late":true}\n\n`));
    assert.deepEqual(chunks, [chunkA, chunkB]);
    assert.equal(sawDone, true);
  });

  it('survives every cut position, including inside multi-byte UTF-8 characters and CRLF pairs', () => {
    const bytes = Buffer.from(streamText);
    const multiByte = bytes.indexOf(Buffer.from('世')) + 1;
    const emoji = bytes.indexOf(Buffer.from('👋')) + 2;
    const crlf = bytes.indexOf(Buffer.from('\r\n')) + 1;
    for (const cuts of [[multiByte], [emoji], [crlf], [multiByte, emoji, crlf].sort((a, b) => a - b)]) {
      assert.deepEqual(collect(bytes, cuts).chunks, [chunkA, chunkB], `cuts ${cuts.join(',')}`);
    }
    for (let cut = 1; cut < bytes.length; cut += 1) {
      assert.deepEqual(collect(bytes, [cut]).chunks, [chunkA, chunkB], `cut at ${cut}`);
    }
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, index) => index + 1);
    assert.deepEqual(collect(bytes, everyByte).chunks, [chunkA, chunkB], 'one byte at a time');
  });

  it('reads a last event that lacks its closing blank line, and reports a missing [DONE]', () => {
    const { chunks, sawDone } = collect(Buffer.from(`data: ${JSON.stringify(chunkA)}`));
    assert.deepEqual(chunks, [chunkA]);
    assert.equal(sawDone, false);
  });

  it('turns a mid-stream error payload into a ProviderCallError', () => {
    const text = `data: ${JSON.stringify(chunkA)}\n\ndata: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}\n\n`;
    const chunks: unknown[] = [];
    assert.throws(
      () => read(Buffer.from(text), [40], (chunk) => chunks.push(chunk)),
      (error: unknown) => {
        assert.ok(error instanceof ProviderCallError);
        assert.equal(error.kind, 'api_error');
        assert.equal(error.provider, 'test-provider');
        assert.equal(error.retryable, true);
        assert.match(error.message, /The server had an error while processing your request/);
        return true;
      },
    );
    assert.deepEqual(chunks, [chunkA], 'events before the error were delivered');
  });

  it('maps OpenRouter-style numeric codes and error events', () => {
    assert.throws(
      () => collect(Buffer.from('data: {"error":{"code":429,"message":"Rate limited"},"choices":[{"index":0,"delta":{},"finish_reason":"error"}]}\n\n')),
      (error: unknown) => error instanceof ProviderCallError && error.kind === 'rate_limit_error' && error.retryable,
    );
    assert.throws(
      () => collect(Buffer.from('event: error\ndata: {"message":"overloaded","type":"overloaded_error"}\n\n')),
      (error: unknown) => error instanceof ProviderCallError && error.kind === 'overloaded_error',
    );
  });

  it('rejects a payload that is not JSON', () => {
    assert.throws(
      () => collect(Buffer.from('data: {not json\n\n')),
      (error: unknown) => error instanceof ProviderCallError && /not JSON/.test(error.message),
    );
  });

  it('passes an error thrown by the chunk handler on unchanged', () => {
    const failure = new Error('sink failed');
    assert.throws(
      () =>
        read(Buffer.from(`data: ${JSON.stringify(chunkA)}\n\n`), [], () => {
          throw failure;
        }),
      (error: unknown) => error === failure,
    );
  });

  it('replays a recorded SSE stream (Anthropic’s OpenAI-compatible endpoint, tool call at index 1)', { skip: skipWithoutSharedFixtures() }, () => {
    const bytes = Buffer.from(readSharedFixture('upstream/openai-compatible/chat-anthropic-fallback-tool-call.sse'));
    const events: StreamEvent[] = [];
    const translator = new OpenAIChatStreamTranslator({ event: (event) => events.push(event) });
    const cuts = Array.from({ length: Math.floor(bytes.length / 7) }, (_, index) => (index + 1) * 7);
    const { sawDone } = read(bytes, cuts, (chunk) => translator.push(chunk), 'anthropic-compatible');
    translator.end();
    assert.equal(sawDone, true);
    assert.deepEqual(events, [
      { type: 'response-metadata', id: 'msg_sanitized', model: 'claude-haiku-4-5-20251001' },
      { type: 'text-delta', text: 'Reading' },
      { type: 'text-delta', text: ' it.' },
      { type: 'tool-call-start', index: 1, id: 'toolu_sanitized', name: 'read_file' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{"pa' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: 'th": "a.txt"}' },
      { type: 'finish', reason: 'tool-use' },
    ]);
  });
});
