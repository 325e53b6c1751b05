import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { ProviderCallError } from '../../core/errors.js';
import { providerErrorFromPayload } from './convert-openai-error-payload.js';

/** How an event stream ended. */
export interface EventStreamEnd {
  /** Whether the `data: [DONE]` sentinel arrived. */
  sawDone: boolean;
}

/**
 * Reads a Chat Completions server-sent-event stream fed chunk by chunk (the body pushed by
 * `upstream/upstream-stream.ts`) and hands each `data:` payload, parsed as JSON, to `onChunk`.
 *
 * - Bytes are decoded with a streaming UTF-8 decoder, so characters split across network chunks
 *   stay whole; SSE framing (lines split anywhere, `\r\n`, comments, multi-line `data`) is left to
 *   `eventsource-parser`.
 * - A last event cut off before its closing blank line is still delivered by {@link end}.
 * - `data: [DONE]` marks the end; anything after it is ignored (the body is still read to its end
 *   so the connection can be reused).
 * - A payload of the form `{"error": {…}}`, or an `event: error` event, throws a
 *   `ProviderCallError`; so does a payload that is not JSON.
 *
 * `onChunk` may throw; its error leaves `feed` as it is (the caller stops reading).
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
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

