import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ProviderCallError } from '../../core/errors.js';
import { networkError } from '../../upstream/upstream-http.js';
import { providerErrorFromPayload } from './convert-openai-error-payload.js';

/** How an event stream ended. */
export interface EventStreamEnd {
  /** Whether the `data: [DONE]` sentinel arrived. */
  sawDone: boolean;
}

/**
 * Reads a Chat Completions server-sent-event stream from an upstream body (a Node `Readable` of
 * bytes, e.g. undici's response body) and hands each `data:` payload, parsed as JSON, to `onChunk`.
 *
 * - Bytes are decoded with a streaming UTF-8 decoder, so characters split across network chunks
 *   stay whole; SSE framing (lines split anywhere, `\r\n`, comments, multi-line `data`) is left to
 *   `eventsource-parser`.
 * - A last event cut off before its closing blank line is still delivered.
 * - `data: [DONE]` marks the end; anything after it is ignored (the body is still read to its end
 *   so the connection can be reused).
 * - A payload of the form `{"error": {…}}`, or an `event: error` event, rejects with a
 *   `ProviderCallError`; so does a payload that is not JSON.
 * - Network failures while reading (reset, body timeout, abort) reject with a `ProviderCallError`.
 *
 * `onChunk` may throw; reading stops (the body is destroyed) and its error is passed on as it is.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
export async function readOpenAIEventStream(
  body: Readable | AsyncIterable<Buffer | string>,
  provider: string,
  onChunk: (chunk: unknown) => void,
): Promise<EventStreamEnd> {
  const decoder = new StringDecoder('utf8');
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  let sawDone = false;

  const handleEvents = (): void => {
    for (const event of events.splice(0)) {
      if (sawDone) continue;
      const data = event.data.trim();
      if (event.event === 'error') throw errorEvent(provider, data);
      if (data === '') continue;
      if (data === '[DONE]') {
        sawDone = true;
        continue;
      }
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
      const payloadError = providerErrorFromPayload(payload, provider, data);
      if (payloadError !== undefined) throw payloadError;
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
        throw readError(provider, error);
      }
      if (next.done === true) break;
      const text = typeof next.value === 'string' ? next.value : decoder.write(next.value);
      if (text !== '') parser.feed(text);
      handleEvents();
    }
    finished = true;
  } finally {
    // stop reading (and release the connection) when an event or `onChunk` failed
    if (!finished) await iterator.return?.().catch(() => undefined);
  }
  const rest = decoder.end();
  if (rest !== '') parser.feed(rest);
  // a last event whose closing blank line never came is still delivered
  parser.feed('\n\n');
  handleEvents();
  return { sawDone };
}

function errorEvent(provider: string, data: string): ProviderCallError {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    payload = { error: data === '' ? 'error event without details' : data };
  }
  return (
    providerErrorFromPayload(payload, provider, data) ??
    providerErrorFromPayload({ error: payload }, provider, data) ??
    new ProviderCallError({ provider, kind: 'api_error', message: `${provider} sent an error event`, body: data, retryable: true })
  );
}

/** The error for a failure while reading the body: an abort (the caller went away) or a network failure. */
function readError(provider: string, error: unknown): ProviderCallError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const aborted = (error instanceof Error && error.name === 'AbortError') || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR';
  if (!aborted) return networkError(provider, error);
  return new ProviderCallError({ provider, kind: 'api_error', message: `reading the ${provider} stream was aborted`, retryable: false, cause: error });
}
