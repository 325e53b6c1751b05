import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ProviderCallError } from '../../core/errors.js';
import { networkError } from '../../upstream/upstream-http.js';
import { googleProviderError, readGoogleError } from './gemini-error.js';

/**
 * Reads a `streamGenerateContent?alt=sse` body (a Node `Readable` of bytes) and hands each
 * `data:` payload, parsed as JSON, to `onChunk`. Gemini sends one `GenerateContentResponse` per
 * event and no end marker; the stream ends with the body.
 *
 * - Bytes are decoded with a streaming UTF-8 decoder; SSE framing is `eventsource-parser`'s.
 * - A payload `{"error": {…}}` (Google's error shape) rejects with a `ProviderCallError` carrying
 *   the payload's code; so does a payload that is not JSON.
 * - Network failures while reading (reset, body timeout, abort) reject with a `ProviderCallError`.
 *
 * `onChunk` may throw; reading stops (the body is destroyed) and its error is passed on.
 *
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
export async function readGeminiEventStream(
  body: Readable | AsyncIterable<Buffer | string>,
  provider: string,
  onChunk: (chunk: unknown) => void,
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });

  const handleEvents = (): void => {
    for (const event of events.splice(0)) {
      const data = event.data.trim();
      if (data === '') continue;
      let payload: unknown;
      try {
        payload = JSON.parse(data);
      } catch (error) {
        throw new ProviderCallError({
          provider,
          kind: 'api_error',
          status: 502,
          message: `${provider} sent a stream event that is not JSON`,
          body: data.slice(0, 2000),
          retryable: false,
          cause: error,
        });
      }
      const googleError = readGoogleError(payload);
      if (googleError !== undefined) throw googleProviderError(provider, googleError, googleError.code ?? 500, data);
      onChunk(payload);
    }
  };

  const iterator = body[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = (await iterator.next()) as IteratorResult<Buffer | string>;
      } catch (error) {
        throw networkError(provider, error);
      }
      if (next.done === true) break;
      const text = typeof next.value === 'string' ? next.value : decoder.write(next.value);
      if (text !== '') parser.feed(text);
      handleEvents();
    }
    finished = true;
  } finally {
    if (!finished) await iterator.return?.().catch(() => undefined);
  }
  const rest = decoder.end();
  if (rest !== '') parser.feed(rest);
  parser.reset({ consume: true });
  handleEvents();
}
