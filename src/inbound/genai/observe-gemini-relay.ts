import { createParser, type EventSourceParser } from 'eventsource-parser';
import { GatewayError, errorKindForStatus } from '../../core/errors.js';
import type { RawUpstreamResponse } from '../../providers/provider.js';
import { convertGeminiResponse } from '../../providers/gemini/convert-gemini-response.js';
import { convertGeminiUsage } from '../../providers/gemini/convert-gemini-usage.js';
import type { GeminiUsageMetadata } from '../../providers/gemini/gemini-api-types.js';
import { readGoogleError } from '../../providers/gemini/gemini-error.js';
import { GeminiStreamTranslator } from '../../providers/gemini/gemini-stream.js';
import type { RequestRecorder } from '../../observability/request-recorder.js';
import { recordTranslatedResponse, TranslatedStreamRecorder } from '../../observability/translated-answer-recorder.js';

/** Longest relayed JSON body (or one streamed array element) kept for reading, characters. */
const MAX_JSON_CHARS = 8 * 1024 * 1024;

/**
 * Splits a streamed JSON array (`streamGenerateContent` without `alt=sse`: `[{…}\r\n,{…}\r\n]`)
 * into its top-level elements as they complete, so that each chunk is read when it arrives (and
 * the usage seen so far counts when the caller goes away before the end).
 */
export class JsonArrayElementSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element = '';
  private collecting = false;

  /** @param onElement receives the text of each complete top-level element */
  constructor(private readonly onElement: (text: string) => void) {}

  feed(text: string): void {
    let start = this.collecting ? 0 : -1;
    for (let index = 0; index < text.length; index += 1) {
      const character = text[index];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (character === '\\') this.escaped = true;
        else if (character === '"') this.inString = false;
        continue;
      }
      if (character === '"') {
        this.inString = true;
      } else if (character === '{' || character === '[') {
        this.depth += 1;
        if (this.depth === 2) {
          this.collecting = true;
          this.element = '';
          start = index;
        }
      } else if (character === '}' || character === ']') {
        this.depth -= 1;
        if (this.depth === 1 && this.collecting) {
          this.append(text.slice(start, index + 1));
          this.collecting = false;
          start = -1;
          const element = this.element;
          this.element = '';
          if (element.length <= MAX_JSON_CHARS) this.onElement(element);
        }
      }
    }
    if (this.collecting && start >= 0) this.append(text.slice(start));
  }

  private append(text: string): void {
    if (this.element.length <= MAX_JSON_CHARS) this.element += text;
  }
}

/**
 * Observes a Gemini answer relayed untouched to a Gemini-format caller (the same-format
 * passthrough of `/genai`) for the request recorder: usage, finish reason and content are read
 * back into IR events by the Gemini provider's own translators (`GeminiStreamTranslator`,
 * `convertGeminiResponse`) and recorded as an Anthropic Message (see
 * `observability/translated-answer-recorder.ts`). SSE (`alt=sse`) is parsed with
 * `eventsource-parser`; a streamed JSON array element by element; a JSON answer once at its end.
 * An error status records Google's error message. Must be called before the relay starts reading
 * the body (it adds `data` listeners).
 *
 * @param input.model the model name the caller asked for; input.stream whether the method streams
 */
export function observeGeminiRelay(recorder: RequestRecorder, upstream: RawUpstreamResponse, input: { model: string; stream: boolean }): void {
  const body = upstream.body;
  const decoder = new TextDecoder();
  if (upstream.statusCode >= 400 || !input.stream) {
    let text = '';
    body.on('data', (chunk: Buffer) => {
      recorder.firstByte();
      if (text.length <= MAX_JSON_CHARS) text += decoder.decode(chunk, { stream: true });
    });
    body.once('end', () => {
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        return; // not JSON (an HTML error page…): nothing to read
      }
      if (upstream.statusCode >= 400) {
        const fields = readGoogleError(payload);
        recorder.error(new GatewayError(errorKindForStatus(upstream.statusCode), fields?.message ?? `upstream returned ${upstream.statusCode}`, { status: upstream.statusCode }));
        return;
      }
      recordTranslatedResponse(recorder, convertGeminiResponse(payload, { requestedModel: input.model }), input.model);
    });
    return;
  }

  const recorded = new TranslatedStreamRecorder(recorder, input.model);
  const translator = new GeminiStreamTranslator(recorded);
  const pushText = (text: string): void => {
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return;
    }
    const googleError = readGoogleError(payload);
    if (googleError !== undefined) {
      recorded.fail(new GatewayError(errorKindForStatus(googleError.code ?? 500), googleError.message));
      return;
    }
    translator.push(payload);
    // Usage is cumulative in every chunk; the translator reports it only at the end, so a caller
    // that goes away mid-stream would otherwise be charged nothing.
    const usage = convertGeminiUsage((payload as { usageMetadata?: GeminiUsageMetadata } | null)?.usageMetadata);
    if (usage !== undefined) recorder.usage(usage);
  };
  const eventStream = String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
  const parser: EventSourceParser | JsonArrayElementSplitter = eventStream ? createParser({ onEvent: (event) => pushText(event.data) }) : new JsonArrayElementSplitter(pushText);
  body.on('data', (chunk: Buffer) => {
    recorded.start();
    parser.feed(decoder.decode(chunk, { stream: true }));
  });
  body.once('end', () => {
    translator.end();
    recorded.end();
  });
}
