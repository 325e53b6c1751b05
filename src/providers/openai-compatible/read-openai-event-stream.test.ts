import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { ProviderCallError } from '../../core/errors.js';
import type { StreamEvent } from '../../core/stream-events.js';
import { readSharedFixture, skipWithoutSharedFixtures } from '../../testing/fixtures.js';
import { OpenAIChatStreamTranslator } from './openai-chat-stream.js';
import { readOpenAIEventStream } from './read-openai-event-stream.js';

/** A body that delivers `bytes` cut at the given offsets. */
function bodyOf(bytes: Buffer, cuts: number[]): Readable {
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return Readable.from(pieces);
}

async function collect(body: Readable | AsyncIterable<Buffer>): Promise<{ chunks: unknown[]; sawDone: boolean }> {
  const chunks: unknown[] = [];
  const { sawDone } = await readOpenAIEventStream(body, 'test-provider', (chunk) => chunks.push(chunk));
  return { chunks, sawDone };
}

const chunkA = { id: 'c1', choices: [{ index: 0, delta: { content: 'Grüße, 世界 👋' }, finish_reason: null }] };
const chunkB = { id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] };
const streamText = `: keep-alive comment\n\ndata: ${JSON.stringify(chunkA)}\r\n\r\ndata: ${JSON.stringify(chunkB)}\n\ndata: [DONE]\n\n`;

describe('readOpenAIEventStream', () => {
  it('reads whole events and stops at [DONE]', async () => {
    const { chunks, sawDone } = await collect(bodyOf(Buffer.from(`${streamText}data: {"late":true}\n\n`), []));
    assert.deepEqual(chunks, [chunkA, chunkB]);
    assert.equal(sawDone, true);
  });

  it('survives every cut position, including inside multi-byte UTF-8 characters and CRLF pairs', async () => {
    const bytes = Buffer.from(streamText);
    const multiByte = bytes.indexOf(Buffer.from('世')) + 1;
    const emoji = bytes.indexOf(Buffer.from('👋')) + 2;
    const crlf = bytes.indexOf(Buffer.from('\r\n')) + 1;
    for (const cuts of [[multiByte], [emoji], [crlf], [multiByte, emoji, crlf].sort((a, b) => a - b)]) {
      assert.deepEqual((await collect(bodyOf(bytes, cuts))).chunks, [chunkA, chunkB], `cuts ${cuts.join(',')}`);
    }
    for (let cut = 1; cut < bytes.length; cut += 1) {
      assert.deepEqual((await collect(bodyOf(bytes, [cut]))).chunks, [chunkA, chunkB], `cut at ${cut}`);
    }
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, index) => index + 1);
    assert.deepEqual((await collect(bodyOf(bytes, everyByte))).chunks, [chunkA, chunkB], 'one byte at a time');
  });

  it('reads a last event that lacks its closing blank line, and reports a missing [DONE]', async () => {
    const { chunks, sawDone } = await collect(bodyOf(Buffer.from(`data: ${JSON.stringify(chunkA)}`), []));
    assert.deepEqual(chunks, [chunkA]);
    assert.equal(sawDone, false);
  });

  it('turns a mid-stream error payload into a ProviderCallError', async () => {
    const text = `data: ${JSON.stringify(chunkA)}\n\ndata: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}\n\n`;
    const chunks: unknown[] = [];
    await assert.rejects(
      readOpenAIEventStream(bodyOf(Buffer.from(text), [40]), 'test-provider', (chunk) => chunks.push(chunk)),
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

  it('maps OpenRouter-style numeric codes and error events', async () => {
    await assert.rejects(
      collect(bodyOf(Buffer.from('data: {"error":{"code":429,"message":"Rate limited"},"choices":[{"index":0,"delta":{},"finish_reason":"error"}]}\n\n'), [])),
      (error: unknown) => error instanceof ProviderCallError && error.kind === 'rate_limit_error' && error.retryable,
    );
    await assert.rejects(
      collect(bodyOf(Buffer.from('event: error\ndata: {"message":"overloaded","type":"overloaded_error"}\n\n'), [])),
      (error: unknown) => error instanceof ProviderCallError && error.kind === 'overloaded_error',
    );
  });

  it('rejects a payload that is not JSON', async () => {
    await assert.rejects(
      collect(bodyOf(Buffer.from('data: {not json\n\n'), [])),
      (error: unknown) => error instanceof ProviderCallError && /not JSON/.test(error.message),
    );
  });

  it('turns a failure while reading the body into a ProviderCallError', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from(`data: ${JSON.stringify(chunkA)}\n\n`);
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    }
    await assert.rejects(collect(broken()), (error: unknown) => error instanceof ProviderCallError && error.retryable && /other side closed/.test(error.message));
  });

  it('passes an error thrown by the chunk handler on unchanged and stops reading', async () => {
    const failure = new Error('sink failed');
    let reads = 0;
    async function* counting(): AsyncGenerator<Buffer> {
      for (let index = 0; index < 5; index += 1) {
        reads += 1;
        yield Buffer.from(`data: ${JSON.stringify(chunkA)}\n\n`);
      }
    }
    await assert.rejects(
      readOpenAIEventStream(counting(), 'test-provider', () => {
        throw failure;
      }),
      (error: unknown) => error === failure,
    );
    assert.equal(reads, 1);
  });

  it('replays a recorded SSE stream (Anthropic’s OpenAI-compatible endpoint, tool call at index 1)', { skip: skipWithoutSharedFixtures() }, async () => {
    const bytes = Buffer.from(readSharedFixture('upstream/openai-compatible/chat-anthropic-fallback-tool-call.sse'));
    const events: StreamEvent[] = [];
    const translator = new OpenAIChatStreamTranslator({ event: (event) => events.push(event) });
    const cuts = Array.from({ length: Math.floor(bytes.length / 7) }, (_, index) => (index + 1) * 7);
    const { sawDone } = await readOpenAIEventStream(bodyOf(bytes, cuts), 'anthropic-compatible', (chunk) => translator.push(chunk));
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
