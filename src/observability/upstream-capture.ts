import type { Readable } from 'node:stream';

/**
 * What Heimdall sent to a provider and what the provider answered, kept for the request log's
 * detail view when content logging is on for the request. The request body is the very Buffer (or
 * string) handed to undici and the response chunks are the Buffers undici pushes into the response
 * body: both are kept by reference, nothing is copied or serialised on the request path. The
 * request recorder hands an attempt its {@link UpstreamCaptureSink} when content logging applies;
 * the attempt puts it on the `UpstreamCall` and the provider client passes it to
 * `sendUpstreamRequest`. (Passed explicitly, not through `AsyncLocalStorage`: on Node 20 entering
 * one turns on promise hooks for the whole process, which measured 13–21% more gateway CPU per request.)
 */

/** Largest upstream response kept per exchange, bytes (the request log's cap for a JSON answer). */
export const MAX_CAPTURED_RESPONSE_BYTES = 8 * 1024 * 1024;

/** One upstream HTTP exchange as captured on the request path. */
export interface CapturedUpstreamExchange {
  /** Provider instance name. */
  provider: string;
  /** Model asked of the provider (the attempt's target). */
  model: string;
  /** Upstream URL without its query string (which can carry a key). */
  url: string;
  /** The body sent upstream, as given to undici. */
  request: Buffer | string | undefined;
  /** Upstream HTTP status; absent when no response came (network error). */
  status?: number;
  /** The response's `content-type`. */
  contentType?: string;
  /** The raw response chunks, in order, at most {@link MAX_CAPTURED_RESPONSE_BYTES}. */
  responseChunks: Buffer[];
  responseBytes: number;
  /** Some of the response was not kept (over the cap). */
  truncated: boolean;
}

/** Where exchanges of the running attempt are collected. */
export interface UpstreamCaptureSink {
  provider: string;
  model: string;
  exchanges: CapturedUpstreamExchange[];
}

/** The running attempt's capture of one upstream exchange, with its response to attach. */
export interface UpstreamExchangeCapture {
  /** Observes the response (status, content type and body chunks as undici pushes them into `body`). */
  response(statusCode: number, contentType: string | undefined, body: Readable): void;
  /** The response began (for bodies pushed to a handler, `upstream-stream.ts`; then {@link data} per chunk). */
  started(statusCode: number, contentType: string | undefined): void;
  /** One response body chunk, in order (kept by reference up to the cap). */
  data(chunk: Buffer): void;
}

/** Starts capturing one upstream request into the attempt's `sink` (see the module comment). */
export function captureUpstreamExchange(sink: UpstreamCaptureSink, url: URL, body: Buffer | string | undefined): UpstreamExchangeCapture {
  const exchange: CapturedUpstreamExchange = {
    provider: sink.provider,
    model: sink.model,
    url: url.origin + url.pathname,
    request: body,
    responseChunks: [],
    responseBytes: 0,
    truncated: false,
  };
  sink.exchanges.push(exchange);
  const keep = (chunk: unknown): void => {
    if (!Buffer.isBuffer(chunk)) return;
    if (exchange.responseBytes + chunk.length <= MAX_CAPTURED_RESPONSE_BYTES) {
      exchange.responseChunks.push(chunk);
      exchange.responseBytes += chunk.length;
    } else exchange.truncated = true;
  };
  const started = (statusCode: number, contentType: string | undefined): void => {
    exchange.status = statusCode;
    if (contentType !== undefined) exchange.contentType = contentType;
  };
  return {
    started,
    data: keep,
    response(statusCode, contentType, stream) {
      started(statusCode, contentType);
      // Chunks undici parsed in the same turn as the headers are already buffered (nothing has
      // read the stream yet); later ones are tapped where undici hands them to the stream. No
      // listener is added, so flowing mode and backpressure stay exactly as the consumer sets them.
      for (const chunk of (stream as Readable & { readableBuffer?: Iterable<unknown> }).readableBuffer ?? []) keep(chunk);
      const push = stream.push.bind(stream);
      stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
        keep(chunk);
        return push(chunk, encoding);
      };
    },
  };
}

/** One upstream exchange as stored and served by `GET /api/logs/{id}` (texts decoded as UTF-8). */
export interface LoggedUpstreamExchange {
  provider: string;
  model: string;
  url: string;
  /** The request body sent upstream (JSON text). */
  request: string;
  status?: number;
  contentType?: string;
  /** The raw response decoded as UTF-8: JSON text, or server-sent-event text for a stream (Bedrock's binary event stream shows as its raw bytes). */
  response: string;
  truncated: boolean;
}
