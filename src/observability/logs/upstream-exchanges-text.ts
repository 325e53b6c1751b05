import { isUtf8 } from 'node:buffer';
import type { CapturedUpstreamExchange, LoggedUpstreamExchange } from '../upstream-capture.js';

/**
 * How a record's upstream exchanges are stored as one log body (`log_bodies.content`, text).
 *
 * The request sent upstream is a large JSON text (a Claude Code turn converted for a provider is
 * ~85 KB), and a stream's raw response is text too. Stored as a JSON array, both would be escaped
 * again (every `"` and newline), which measured ~260 µs per 85 KB request on the log writer thread,
 * and parsed back on every read. So the texts are stored as they are, after a header:
 *
 * ```
 * heimdall-upstream/2\n
 * [{"provider":…,"model":…,"url":…,"status":…,"contentType":…,"truncated":…,"requestBytes":N,"responseBytes":M}, …]\n
 * <request 1><response 1><request 2><response 2>…
 * ```
 *
 * The stored body is built from the captured bytes and its lengths count UTF-8 bytes: the writer
 * never decodes the texts into JavaScript strings (for a Claude Code turn, two-byte strings of
 * ~170 KB whose decoding, hashing and re-encoding for the database measured ~1 ms per record).
 * Bytes that are not valid UTF-8 text (Bedrock's binary event stream) are stored as their UTF-8
 * decoding with replacement characters (see {@link storableUtf8}), so the body is always text any
 * store takes and reads back byte for byte. A request byte-identical to the request the caller sent (the Anthropic
 * passthrough sends the caller's own bytes) is not stored twice: its header says
 * `requestIsInbound` and the reader takes the record's stored request body.
 *
 * Still read: `heimdall-upstream/1` (the same layout with lengths in UTF-16 code units) and, from
 * before that, a JSON array of {@link LoggedUpstreamExchange}.
 */

/** First line of the format. */
const FORMAT_LINE = 'heimdall-upstream/2\n';
/** First line of the earlier format, lengths in UTF-16 code units. */
const FORMAT_LINE_V1 = 'heimdall-upstream/1\n';

/** An exchange's metadata in the header: everything but its texts. */
type ExchangeMetadata = Omit<LoggedUpstreamExchange, 'request' | 'response'> & { requestIsInbound?: true };
/** A header of this format: lengths in UTF-8 bytes. */
type ExchangeHeader = ExchangeMetadata & { requestBytes: number; responseBytes: number };
/** A header of the earlier format: lengths in UTF-16 code units. */
type ExchangeHeaderV1 = ExchangeMetadata & { requestLength: number; responseLength: number };
/** A header's metadata and its two lengths, whichever format's unit they count in. */
type ExchangeSpan = { metadata: ExchangeMetadata; requestLength: number; responseLength: number };

/** One exchange to store: its metadata and its texts as UTF-8 bytes. */
export interface UpstreamExchangeBytes extends Omit<LoggedUpstreamExchange, 'request' | 'response'> {
  request: Buffer;
  response: Buffer;
  /** The request is the caller's own request body, stored with the record: not stored again (`request` is then empty). */
  requestIsInbound?: true;
}

const EMPTY = Buffer.alloc(0);

/**
 * Bytes as storable text: valid UTF-8 without NUL as it is; anything else as its UTF-8 decoding
 * with replacement characters, NUL included (PostgreSQL's text cannot hold NUL: a binary response
 * with one failed the whole batch's insert). JSON never holds a raw NUL, only binary bodies do.
 */
export function storableUtf8(bytes: Buffer): Buffer {
  if (isUtf8(bytes) && !bytes.includes(0)) return bytes;
  return Buffer.from(bytes.toString('utf8').replaceAll('\u0000', '\ufffd'), 'utf8');
}

/**
 * Captured exchanges (as the request path kept them) as bytes to store, nothing decoded; a
 * request equal to `inboundRequest` (the caller's body) marked instead of stored again.
 */
export function upstreamExchangeBytes(exchanges: readonly CapturedUpstreamExchange[], inboundRequest: Buffer | undefined): UpstreamExchangeBytes[] {
  return exchanges.map((exchange) => {
    const sent = exchange.request;
    const requestIsInbound = inboundRequest !== undefined && Buffer.isBuffer(sent) && sent.equals(inboundRequest);
    return {
      provider: exchange.provider,
      model: exchange.model,
      url: exchange.url,
      request: requestIsInbound || sent === undefined ? EMPTY : storableUtf8(typeof sent === 'string' ? Buffer.from(sent, 'utf8') : sent),
      ...(requestIsInbound ? { requestIsInbound: true as const } : {}),
      ...(exchange.status === undefined ? {} : { status: exchange.status }),
      ...(exchange.contentType === undefined ? {} : { contentType: exchange.contentType }),
      response: storableUtf8(Buffer.concat(exchange.responseChunks)),
      truncated: exchange.truncated,
    };
  });
}

/** Exchanges given as texts (as the log detail shows them) as bytes to store. */
export function loggedExchangeBytes(exchanges: readonly LoggedUpstreamExchange[]): UpstreamExchangeBytes[] {
  return exchanges.map(({ request, response, ...metadata }) => ({
    ...metadata,
    request: storableUtf8(Buffer.from(request, 'utf8')),
    response: storableUtf8(Buffer.from(response, 'utf8')),
  }));
}

/** The stored body of a record's upstream exchanges, as UTF-8 bytes (see the module comment). */
export function encodeUpstreamExchanges(exchanges: readonly UpstreamExchangeBytes[]): Buffer {
  const headers: ExchangeHeader[] = exchanges.map(({ request, response, ...metadata }) => ({ ...metadata, requestBytes: request.length, responseBytes: response.length }));
  const parts: Buffer[] = [Buffer.from(`${FORMAT_LINE}${JSON.stringify(headers)}\n`, 'utf8')];
  for (const exchange of exchanges) parts.push(exchange.request, exchange.response);
  return Buffer.concat(parts);
}

/** Whether a parsed header entry names its provider and has integer lengths in the two fields given. */
function hasLengths(value: unknown, requestField: string, responseField: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const header = value as Record<string, unknown>;
  return Number.isInteger(header[requestField]) && Number.isInteger(header[responseField]) && typeof header.provider === 'string';
}

function isExchangeHeader(value: unknown): value is ExchangeHeader {
  return hasLengths(value, 'requestBytes', 'responseBytes');
}

function isExchangeHeaderV1(value: unknown): value is ExchangeHeaderV1 {
  return hasLengths(value, 'requestLength', 'responseLength');
}

/** The header line's exchanges. @throws Error when incomplete or malformed */
function readHeaders<T>(text: string, formatLine: string, valid: (value: unknown) => value is T): { headers: T[]; textStart: number } {
  const headerEnd = text.indexOf('\n', formatLine.length);
  if (headerEnd === -1) throw new Error('stored upstream exchanges: the header line is not complete');
  const headers: unknown = JSON.parse(text.slice(formatLine.length, headerEnd));
  if (!Array.isArray(headers) || !headers.every(valid)) throw new Error('stored upstream exchanges: malformed header');
  return { headers, textStart: headerEnd + 1 };
}

/**
 * The exchanges whose texts follow one another from `start` to `end`, each read with `slice` (a
 * request marked `requestIsInbound` is `inboundRequest`, the record's own request body).
 * @throws Error when the lengths do not add up to the texts
 */
function sliceExchanges(spans: readonly ExchangeSpan[], slice: (from: number, to: number) => string, start: number, end: number, inboundRequest: string | undefined): LoggedUpstreamExchange[] {
  let offset = start;
  const exchanges: LoggedUpstreamExchange[] = [];
  for (const { metadata: { requestIsInbound, ...metadata }, requestLength, responseLength } of spans) {
    const request = requestIsInbound === true ? (inboundRequest ?? '') : slice(offset, offset + requestLength);
    offset += requestLength;
    const response = slice(offset, offset + responseLength);
    offset += responseLength;
    exchanges.push({ ...metadata, request, response });
  }
  if (offset !== end) throw new Error('stored upstream exchanges: the texts do not match their lengths');
  return exchanges;
}

/**
 * A record's upstream exchanges from their stored text (this format or an earlier one).
 * @param inboundRequest the record's stored request body (for exchanges marked `requestIsInbound`)
 * @throws SyntaxError / Error when the text is none of them, or its lengths do not match
 */
export function decodeUpstreamExchanges(text: string, inboundRequest?: string): LoggedUpstreamExchange[] {
  if (text.startsWith(FORMAT_LINE)) {
    const { headers, textStart } = readHeaders(text, FORMAT_LINE, isExchangeHeader);
    // Lengths count UTF-8 bytes: the texts after the header line, encoded again (the stored body is
    // valid UTF-8, so this gives back the very bytes that were stored).
    const bytes = Buffer.from(text.slice(textStart), 'utf8');
    const spans = headers.map(({ requestBytes, responseBytes, ...metadata }) => ({ metadata, requestLength: requestBytes, responseLength: responseBytes }));
    return sliceExchanges(spans, (from, to) => bytes.toString('utf8', from, to), 0, bytes.length, inboundRequest);
  }
  if (!text.startsWith(FORMAT_LINE_V1)) return JSON.parse(text) as LoggedUpstreamExchange[];
  const { headers, textStart } = readHeaders(text, FORMAT_LINE_V1, isExchangeHeaderV1);
  const spans = headers.map(({ requestLength, responseLength, ...metadata }) => ({ metadata, requestLength, responseLength }));
  return sliceExchanges(spans, (from, to) => text.slice(from, to), textStart, text.length, inboundRequest);
}
