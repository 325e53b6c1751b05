import { Transform, type TransformCallback } from 'node:stream';
import { EventStreamMessageReader, type EventStreamMessage } from './aws-event-stream.js';
import { mapBedrockError, parseBedrockErrorBody } from './bedrock-errors.js';

/** The Anthropic SSE text of an `error` event. */
function sseError(kind: string, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: kind, message } })}\n\n`;
}

/**
 * The Anthropic SSE frame for one Bedrock `chunk` payload `{"bytes": base64(event JSON)}`: the
 * event JSON goes out as received (`event: <type>\ndata: <json>\n\n`), re-serialised only if it
 * spans several lines. Returns undefined for a payload without bytes.
 */
export function anthropicSseFromChunk(payload: Buffer): string | undefined {
  const parsed = JSON.parse(payload.toString('utf8')) as { bytes?: unknown };
  if (typeof parsed.bytes !== 'string') return undefined;
  let json = Buffer.from(parsed.bytes, 'base64').toString('utf8');
  const event = JSON.parse(json) as { type?: unknown };
  const type = typeof event.type === 'string' ? event.type : 'message';
  if (json.includes('\n')) json = JSON.stringify(event);
  return `event: ${type}\ndata: ${json}\n\n`;
}

/**
 * Turns the binary event stream of InvokeModelWithResponseStream into Anthropic SSE bytes, so the
 * Bedrock passthrough hands back the same bytes Anthropic would send: each `chunk` event becomes
 * `event: <type>\ndata: <decoded JSON>\n\n`; an `exception` message becomes an Anthropic `error`
 * event (its kind mapped from the exception type). Malformed framing ends the stream with an error event.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
 */
export class InvokeStreamToAnthropicSse extends Transform {
  private readonly reader = new EventStreamMessageReader();
  private failed = false;

  constructor(private readonly provider: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.failed) {
      callback();
      return;
    }
    try {
      for (const message of this.reader.push(chunk)) this.handle(message);
    } catch (error) {
      this.fail('api_error', `${this.provider} sent a malformed event stream: ${error instanceof Error ? error.message : String(error)}`);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.failed && this.reader.pendingBytes > 0) this.fail('api_error', `${this.provider} ended the event stream in the middle of a message`);
    callback();
  }

  private handle(message: EventStreamMessage): void {
    if (this.failed) return;
    if (message.messageType === 'event') {
      if (message.eventType !== 'chunk') return;
      const sse = anthropicSseFromChunk(message.body);
      if (sse !== undefined) this.push(sse);
      return;
    }
    const bodyText = message.body.toString('utf8');
    const errorType = message.exceptionType ?? message.errorCode;
    const { message: text, originalStatusCode } = message.messageType === 'error' ? { message: message.errorMessage ?? bodyText, originalStatusCode: undefined } : parseBedrockErrorBody(bodyText);
    const mapping = mapBedrockError(errorType, undefined, originalStatusCode);
    this.fail(mapping.kind, `${this.provider} stream failed with ${errorType ?? 'an error'}: ${text}`);
  }

  private fail(kind: string, message: string): void {
    this.failed = true;
    this.push(sseError(kind, message));
  }
}

