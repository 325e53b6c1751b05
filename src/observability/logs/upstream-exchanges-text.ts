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
 * heimdall-upstream/1\n
 * [{"provider":…,"model":…,"url":…,"status":…,"contentType":…,"truncated":…,"requestLength":N,"responseLength":M}, …]\n
 * <request 1><response 1><request 2><response 2>…
 * ```
 *
 * Lengths are in UTF-16 code units of the JavaScript strings (exact after a round trip through
 * the database: the texts come from `JSON.stringify` or UTF-8 decoding, so they hold no lone
 * surrogates). A request byte-identical to the request the caller sent (the Anthropic
 * passthrough sends the caller's own bytes) is not stored twice: its header says
 * `requestIsInbound` and the reader takes the record's stored request body. Bodies written before
 * this format (a JSON array of {@link LoggedUpstreamExchange}) are still read.
 */

/** First line of the format. */
const FORMAT_LINE = 'heimdall-upstream/1\n';

/** An exchange's metadata in the header: everything but its texts. */
type ExchangeHeader = Omit<LoggedUpstreamExchange, 'request' | 'response'> & { requestLength: number; responseLength: number; requestIsInbound?: true };

/** One exchange to store: its metadata and its texts. */
export interface UpstreamExchangeTexts extends Omit<LoggedUpstreamExchange, 'request' | 'response'> {
  request: string;
  response: string;
  /** The request is the caller's own request body, stored with the record: not stored again (`request` is then empty). */
  requestIsInbound?: true;
}

/**
 * Captured exchanges (as the request path kept them) as texts to store: bytes decoded as UTF-8,
 * a request equal to `inboundRequest` (the caller's body) marked instead of decoded.
 */
export function upstreamExchangeTexts(exchanges: readonly CapturedUpstreamExchange[], inboundRequest: Buffer | undefined): UpstreamExchangeTexts[] {
  return exchanges.map((exchange) => {
    const requestIsInbound = inboundRequest !== undefined && Buffer.isBuffer(exchange.request) && exchange.request.equals(inboundRequest);
    return {
      provider: exchange.provider,
      model: exchange.model,
      url: exchange.url,
      request: requestIsInbound || exchange.request === undefined ? '' : typeof exchange.request === 'string' ? exchange.request : exchange.request.toString('utf8'),
      ...(requestIsInbound ? { requestIsInbound: true as const } : {}),
      ...(exchange.status === undefined ? {} : { status: exchange.status }),
      ...(exchange.contentType === undefined ? {} : { contentType: exchange.contentType }),
      response: Buffer.concat(exchange.responseChunks).toString('utf8'),
      truncated: exchange.truncated,
    };
  });
}

/** The stored text of a record's upstream exchanges (see the module comment). */
export function encodeUpstreamExchanges(exchanges: readonly UpstreamExchangeTexts[]): string {
  const headers: ExchangeHeader[] = exchanges.map(({ request, response, ...metadata }) => ({ ...metadata, requestLength: request.length, responseLength: response.length }));
  let text = `${FORMAT_LINE}${JSON.stringify(headers)}\n`;
  for (const exchange of exchanges) text += exchange.request + exchange.response;
  return text;
}

function isExchangeHeader(value: unknown): value is ExchangeHeader {
  if (typeof value !== 'object' || value === null) return false;
  const header = value as Record<string, unknown>;
  return Number.isInteger(header.requestLength) && Number.isInteger(header.responseLength) && typeof header.provider === 'string';
}

/**
 * A record's upstream exchanges from their stored text (this format or the earlier JSON array).
 * @param inboundRequest the record's stored request body (for exchanges marked `requestIsInbound`)
 * @throws SyntaxError / Error when the text is neither
 */
export function decodeUpstreamExchanges(text: string, inboundRequest?: string): LoggedUpstreamExchange[] {
  if (!text.startsWith(FORMAT_LINE)) return JSON.parse(text) as LoggedUpstreamExchange[];
  const headerEnd = text.indexOf('\n', FORMAT_LINE.length);
  if (headerEnd === -1) throw new Error('stored upstream exchanges: the header line is not complete');
  const headers: unknown = JSON.parse(text.slice(FORMAT_LINE.length, headerEnd));
  if (!Array.isArray(headers) || !headers.every(isExchangeHeader)) throw new Error('stored upstream exchanges: malformed header');
  let offset = headerEnd + 1;
  const exchanges: LoggedUpstreamExchange[] = [];
  for (const { requestLength, responseLength, requestIsInbound, ...metadata } of headers) {
    const request = requestIsInbound === true ? (inboundRequest ?? '') : text.slice(offset, offset + requestLength);
    offset += requestLength;
    const response = text.slice(offset, offset + responseLength);
    offset += responseLength;
    exchanges.push({ ...metadata, request, response });
  }
  if (offset !== text.length) throw new Error('stored upstream exchanges: the texts do not match their lengths');
  return exchanges;
}
