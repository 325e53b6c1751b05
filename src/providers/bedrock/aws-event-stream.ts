import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';

/**
 * The AWS event-stream binary framing (`application/vnd.amazon.eventstream`) used by Bedrock's
 * streaming APIs: each message is `total length (u32) | headers length (u32) | prelude CRC32 |
 * headers | payload | message CRC32`, with typed headers such as `:message-type` (`event`,
 * `exception`, `error`), `:event-type` and `:exception-type`. Encoding and CRC checks are done by
 * `@smithy/eventstream-codec`; this module splits a byte stream into messages and names the
 * headers Bedrock uses.
 *
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-setting-up.html#streaming-event-stream
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
 */

/** Content type of an AWS event stream. */
export const AWS_EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

/** Largest message accepted, bytes (Bedrock's are a few KiB; this guards against garbage lengths). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Bytes of the prelude (two lengths and their CRC) plus the trailing message CRC. */
const FRAMING_BYTES = 16;

function toUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function fromUtf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Stateless for `encode` / `decode` (its `feed` buffering is not used). */
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One decoded event-stream message with Bedrock's headers pulled out. */
export interface EventStreamMessage {
  /** `:message-type`: `event`, `exception` or `error`. */
  messageType: string;
  /** `:event-type` of an event (`chunk`, `messageStart`, `contentBlockDelta`, …). */
  eventType?: string;
  /** `:exception-type` of an exception (`throttlingException`, …). */
  exceptionType?: string;
  /** `:error-code` / `:error-message` of an `error` message. */
  errorCode?: string;
  errorMessage?: string;
  /** The payload (JSON for Bedrock). */
  body: Buffer;
}

function stringHeader(headers: MessageHeaders, name: string): string | undefined {
  const header = headers[name];
  return header !== undefined && header.type === 'string' ? header.value : undefined;
}

/** A thrown error for bytes that are not a valid event stream (bad length or CRC). */
export class EventStreamFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStreamFormatError';
  }
}

/**
 * Splits a byte stream into event-stream messages as bytes arrive: `push` returns the messages
 * completed by a chunk and keeps any partial message for the next one.
 */
export class EventStreamMessageReader {
  private pending: Buffer = Buffer.alloc(0);

  /**
   * @returns the messages completed by `chunk`, in order
   * @throws EventStreamFormatError on an impossible length or a CRC mismatch
   */
  push(chunk: Buffer): EventStreamMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: EventStreamMessage[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 4) {
      const totalLength = this.pending.readUInt32BE(offset);
      if (totalLength < FRAMING_BYTES || totalLength > MAX_MESSAGE_BYTES) {
        throw new EventStreamFormatError(`event-stream message length ${totalLength} is out of range`);
      }
      if (this.pending.length - offset < totalLength) break;
      messages.push(decodeEventStreamMessage(this.pending.subarray(offset, offset + totalLength)));
      offset += totalLength;
    }
    this.pending = offset === 0 ? this.pending : Buffer.from(this.pending.subarray(offset));
    return messages;
  }

  /** Bytes of an unfinished message held back (non-zero at the end of a stream means it was cut). */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

/**
 * Decodes one complete message (CRCs checked).
 * @throws EventStreamFormatError when the bytes are not a valid message
 */
export function decodeEventStreamMessage(bytes: Uint8Array): EventStreamMessage {
  let decoded;
  try {
    decoded = codec.decode(bytes);
  } catch (error) {
    throw new EventStreamFormatError(`invalid event-stream message: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const headers = decoded.headers;
  const message: EventStreamMessage = {
    messageType: stringHeader(headers, ':message-type') ?? 'event',
    body: Buffer.from(decoded.body.buffer, decoded.body.byteOffset, decoded.body.byteLength),
  };
  const eventType = stringHeader(headers, ':event-type');
  if (eventType !== undefined) message.eventType = eventType;
  const exceptionType = stringHeader(headers, ':exception-type');
  if (exceptionType !== undefined) message.exceptionType = exceptionType;
  const errorCode = stringHeader(headers, ':error-code');
  if (errorCode !== undefined) message.errorCode = errorCode;
  const errorMessage = stringHeader(headers, ':error-message');
  if (errorMessage !== undefined) message.errorMessage = errorMessage;
  return message;
}

/** Encodes an `event` message: `:event-type`, `:content-type: application/json`, `:message-type: event`. */
export function encodeEventMessage(eventType: string, payload: string | Buffer): Buffer {
  const bytes = codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload,
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes an `exception` message (`:exception-type`, JSON payload `{"message": …}`). */
export function encodeExceptionMessage(exceptionType: string, message: string): Buffer {
  const bytes = codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: Buffer.from(JSON.stringify({ message }), 'utf8'),
  });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A Bedrock `chunk` event carrying one Anthropic event: payload `{"bytes": base64(json)}`. */
export function encodeChunkMessage(json: string | Buffer): Buffer {
  const base64 = (typeof json === 'string' ? Buffer.from(json, 'utf8') : json).toString('base64');
  return encodeEventMessage('chunk', `{"bytes":"${base64}"}`);
}
