import type { GatewayError } from '../core/errors.js';
import type { GatewayResponse, Usage } from '../core/gateway-response.js';
import type { StreamEvent, StreamEventSink } from '../core/stream-events.js';
import { newAnthropicMessageId } from '../inbound/anthropic/anthropic-message-id.js';
import { AnthropicStreamEncoder } from '../inbound/anthropic/anthropic-stream-encoder.js';
import { encodeAnthropicResponse } from '../inbound/anthropic/encode-anthropic-response.js';
import type { RequestRecorder } from './request-recorder.js';

/**
 * Recording of answers on the surfaces that answer in their own wire format from IR results:
 * `/bedrock` Converse / ConverseStream and `/genai` Gemini-format `generateContent` /
 * `streamGenerateContent` (translated, or relayed from Gemini and read back into IR events).
 *
 * The request log keeps every answer as an Anthropic Message, whatever format the caller got, so
 * listing, search and the detail view read one shape: the IR answer is encoded once more as
 * Anthropic (a whole response through `encodeAnthropicResponse`, a stream through an
 * `AnthropicStreamEncoder` whose events go only to the recorder's assembler). Usage events are also
 * reported to the recorder as they come (`recorder.usage`), so `consumedUsage()` — what governance
 * charges — is right even when the caller goes away before the end of the stream.
 *
 * @see ./request-recorder.ts
 * @see ../../docs/architecture.md#observability-srcobservability
 */

/** The defined fields of a partial usage (an `undefined` field must not overwrite a count). */
function definedUsage(usage: Partial<Usage>): Partial<Usage> {
  const defined: Partial<Usage> = {};
  if (usage.inputTokens !== undefined) defined.inputTokens = usage.inputTokens;
  if (usage.outputTokens !== undefined) defined.outputTokens = usage.outputTokens;
  if (usage.cacheReadTokens !== undefined) defined.cacheReadTokens = usage.cacheReadTokens;
  if (usage.cacheWriteTokens !== undefined) defined.cacheWriteTokens = usage.cacheWriteTokens;
  return defined;
}

/**
 * Records a complete IR answer (non-streamed Converse / `generateContent`) as an Anthropic Message.
 * @param model the model name the caller asked for (reported in the logged message)
 */
export function recordTranslatedResponse(recorder: RequestRecorder, response: GatewayResponse, model: string): void {
  recorder.responseBody(encodeAnthropicResponse(response, newAnthropicMessageId(), model));
}

/**
 * The recorder's view of one streamed IR answer: feed it the same events the caller's encoder
 * gets, then `end()` or `fail(error)`. `start()` marks the first byte sent to the caller (time to
 * first token); `event` starts it too.
 */
export class TranslatedStreamRecorder implements StreamEventSink {
  private encoder: AnthropicStreamEncoder | undefined;

  /** @param model the model name the caller asked for (reported in the logged message) */
  constructor(
    private readonly recorder: RequestRecorder,
    private readonly model: string,
  ) {}

  /** The caller's stream began (its first bytes were written). */
  start(): void {
    if (this.encoder !== undefined) return;
    this.encoder = new AnthropicStreamEncoder(this.recorder.observeEvents(discardEvent), { id: newAnthropicMessageId(), model: this.model });
    this.encoder.start();
  }

  event(event: StreamEvent): void {
    if (event.type === 'usage') this.recorder.usage(definedUsage(event.usage));
    this.start();
    this.encoder?.event(event);
  }

  /** The stream ended normally: stop reason and final usage. */
  end(): void {
    this.start();
    this.encoder?.end();
  }

  /** The stream ended with an error after it began (recorded as the record's error). */
  fail(error: GatewayError): void {
    this.start();
    this.encoder?.fail(error);
  }
}

/** The Anthropic events of a {@link TranslatedStreamRecorder} go only to the recorder. */
function discardEvent(): void {}

/**
 * A sink that hands every IR event to the caller's encoder and to the recorder, in that order.
 * @param recorded the recorder's view (see {@link TranslatedStreamRecorder})
 */
export function teeStreamEvents(caller: StreamEventSink, recorded: TranslatedStreamRecorder): StreamEventSink {
  return {
    event: (event) => {
      caller.event(event);
      recorded.event(event);
    },
  };
}
