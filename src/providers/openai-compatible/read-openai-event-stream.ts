import { finished, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { ProviderCallError } from '../../core/errors.js';
import { readStreamError } from '../../upstream/upstream-http.js';
import { providerErrorFromPayload } from './convert-openai-error-payload.js';

/** How an event stream ended. */
export interface EventStreamEnd {
  /** Whether the `data: [DONE]` sentinel arrived. */
  sawDone: boolean;
}

/**
 * Reads a Chat Completions server-sent-event stream from an upstream body (a Node `Readable` of
 * bytes, e.g. undici's response body, or any async iterable of chunks) and hands each `data:`
 * payload, parsed as JSON, to `onChunk`.
 *
 * - Bytes are decoded with a streaming UTF-8 decoder, so characters split across network chunks
 *   stay whole; SSE framing (lines split anywhere, `\r\n`, comments, multi-line `data`) is left to
 *   `eventsource-parser`. A `Readable` is read through its `data` events (events are handled as
 *   the bytes arrive, with no promise per chunk).
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
export function readOpenAIEventStream(
  body: Readable | AsyncIterable<Buffer | string>,
  provider: string,
  onChunk: (chunk: unknown) => void,
): Promise<EventStreamEnd> {
  const reader = new OpenAIEventReader(provider, onChunk);
  return body instanceof Readable ? readFromReadable(body, reader, provider) : readFromIterable(body, reader, provider);
}

/**
 * Decodes, frames and interprets the events of one stream (see {@link readOpenAIEventStream}), fed
 * chunk by chunk: for bodies pushed by `upstream-stream.ts`.
 */
export class OpenAIEventReader {
  private readonly decoder = new StringDecoder('utf8');
  private readonly parser: EventSourceParser;
  sawDone = false;

  constructor(
    private readonly provider: string,
    private readonly onChunk: (chunk: unknown) => void,
  ) {
    // An error thrown here leaves `feed`: reading stops, the parser is not used again.
    this.parser = createParser({ onEvent: (event) => this.event(event.event, event.data) });
  }

  /** One chunk of the body. @throws the stream's error, or `onChunk`'s */
  feed(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (text !== '') this.parser.feed(text);
  }

  /** The body ended. @throws as {@link feed} */
  end(): EventStreamEnd {
    const rest = this.decoder.end();
    if (rest !== '') this.parser.feed(rest);
    // a last event whose closing blank line never came is still delivered
    this.parser.feed('\n\n');
    return { sawDone: this.sawDone };
  }

  private event(name: string | undefined, rawData: string): void {
    if (this.sawDone) return;
    const provider = this.provider;
    const data = rawData.trim();
    if (name === 'error') throw errorEvent(provider, data);
    if (data === '') return;
    if (data === '[DONE]') {
      this.sawDone = true;
      return;
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
    this.onChunk(payload);
  }
}

function readFromReadable(body: Readable, reader: OpenAIEventReader, provider: string): Promise<EventStreamEnd> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      // stop reading (and release the connection) when an event or `onChunk` failed
      if (!body.destroyed) body.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      if (settled) return;
      try {
        reader.feed(chunk);
      } catch (error) {
        fail(error);
      }
    };
    body.on('data', onData);
    finished(body, (error) => {
      if (settled) return;
      if (error !== undefined && error !== null) {
        fail(readStreamError(provider, error));
        return;
      }
      let end: EventStreamEnd;
      try {
        end = reader.end();
      } catch (endError) {
        fail(endError);
        return;
      }
      settled = true;
      resolve(end);
    });
  });
}

async function readFromIterable(body: AsyncIterable<Buffer | string>, reader: OpenAIEventReader, provider: string): Promise<EventStreamEnd> {
  const iterator = body[Symbol.asyncIterator]();
  let finishedReading = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw readStreamError(provider, error);
      }
      if (next.done === true) break;
      reader.feed(next.value);
    }
    finishedReading = true;
  } finally {
    // stop reading when an event or `onChunk` failed
    if (!finishedReading) await iterator.return?.().catch(() => undefined);
  }
  return reader.end();
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

