import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { ProviderCallError, errorKindForStatus, isRetryableStatus } from '../core/errors.js';
import { withTraceContext } from '../observability/tracing.js';
import { captureUpstreamExchange, type UpstreamCaptureSink } from '../observability/upstream-capture.js';
import type { ProviderTimeouts, RawUpstreamResponse } from '../providers/provider.js';

/**
 * The one way Heimdall talks HTTP to providers: an `undici` Pool per upstream origin (keep-alive,
 * pipelining off), with no `fetch`/Web-Streams objects on the hot path. Network failures and
 * timeouts become `ProviderCallError`s; HTTP error statuses are returned to the caller to decide.
 */

const pools = new Map<string, Pool>();

/** Connections kept per upstream origin. */
const CONNECTIONS_PER_ORIGIN = 256;

/** The pool for an origin (made on first use). */
export function poolFor(origin: string, connectTimeoutMs: number): Pool {
  const poolKey = `${origin}|${connectTimeoutMs}`;
  let pool = pools.get(poolKey);
  if (pool === undefined) {
    pool = new Pool(origin, {
      connections: CONNECTIONS_PER_ORIGIN,
      connect: { timeout: connectTimeoutMs },
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
    });
    pools.set(poolKey, pool);
  }
  return pool;
}

/** Closes every upstream connection pool (graceful shutdown, tests). */
export async function closeUpstreamPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close().catch(() => undefined)));
}

export interface UpstreamHttpRequest {
  /** Provider instance name, for error messages. */
  provider: string;
  url: URL;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string | Buffer;
  signal: AbortSignal;
  timeouts: ProviderTimeouts;
  /**
   * The attempt's request-log capture (content logging on): this exchange is kept there. Never
   * given for credential exchanges such as token requests.
   */
  capture?: UpstreamCaptureSink;
}

/** A header value as one string (repeated values joined with `, `). */
export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Sends one HTTP request upstream. Resolves with the response for any HTTP status.
 * @throws ProviderCallError on connection failure, reset or timeout (`retryable: true`).
 */
export async function sendUpstreamRequest(request: UpstreamHttpRequest): Promise<RawUpstreamResponse> {
  const pool = poolFor(request.url.origin, request.timeouts.connectMs);
  const options: Dispatcher.RequestOptions = {
    path: request.url.pathname + request.url.search,
    method: request.method ?? 'POST',
    headers: withTraceContext(request.headers), // observability hook: W3C traceparent of the attempt span
    body: request.body,
    signal: request.signal,
    headersTimeout: request.timeouts.firstByteMs,
    bodyTimeout: request.timeouts.idleMs,
  };
  const capture = request.capture === undefined ? undefined : captureUpstreamExchange(request.capture, request.url, request.body); // observability hook: content logging's upstream capture
  try {
    const response = await pool.request(options);
    capture?.response(response.statusCode, headerText(response.headers['content-type']), response.body);
    return { statusCode: response.statusCode, headers: response.headers, body: response.body };
  } catch (error) {
    throw networkError(request.provider, error);
  }
}

/** Turns an undici/network error into a `ProviderCallError`. */
export function networkError(provider: string, error: unknown): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const isTimeout =
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT';
  const detail = error instanceof Error ? error.message : String(error);
  if (isTimeout) {
    return new ProviderCallError({
      provider,
      kind: 'timeout_error',
      message: `${provider} did not answer in time (${code || 'timeout'})`,
      retryable: true,
      cause: error,
    });
  }
  return new ProviderCallError({
    provider,
    kind: 'api_error',
    status: 502,
    message: `could not reach ${provider}: ${detail}${code !== '' && !detail.includes(code) ? ` (${code})` : ''}`,
    retryable: true,
    cause: error,
  });
}

/** Largest upstream error body kept, in bytes. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Collects an (error) body's chunks as they come, keeping about its first 64 KiB. */
export class ErrorBodyText {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  add(chunk: Buffer): void {
    if (this.size < MAX_ERROR_BODY_BYTES) this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** What was kept, as text of at most {@link MAX_ERROR_BODY_BYTES} characters. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
  }
}

/** Reads a whole (small) upstream body as text, keeping at most 64 KiB. */
export async function readBodyText(body: RawUpstreamResponse['body']): Promise<string> {
  const collected = new ErrorBodyText();
  for await (const chunk of body) collected.add(chunk as Buffer);
  return collected.text();
}

/** Reads a whole upstream body (a successful JSON response) without a size cap. */
export async function readBodyBuffer(body: RawUpstreamResponse['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** Pulls a human message out of the usual upstream error bodies (`{error:{message}}`, `{message}`, `{detail}`). */
export function upstreamErrorMessage(bodyText: string): string {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    const candidates: unknown[] = [];
    if (Array.isArray(parsed)) candidates.push(parsed[0]);
    else candidates.push(parsed);
    for (const candidate of candidates) {
      if (typeof candidate !== 'object' || candidate === null) continue;
      const record = candidate as Record<string, unknown>;
      const inner = record.error;
      if (typeof inner === 'string') return inner;
      if (typeof inner === 'object' && inner !== null && typeof (inner as Record<string, unknown>).message === 'string') {
        return (inner as Record<string, string>).message;
      }
      if (typeof record.message === 'string') return record.message;
      if (typeof record.detail === 'string') return record.detail;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = bodyText.trim();
  return trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed || '(empty body)';
}

/**
 * Builds the error for an upstream error status, reading its body.
 * The caller gets the upstream's status class (400 stays 400, 503 becomes `overloaded_error`).
 */
export async function upstreamStatusError(provider: string, response: RawUpstreamResponse): Promise<ProviderCallError> {
  const bodyText = await readBodyText(response.body).catch(() => '');
  return upstreamStatusErrorFromText(provider, response.statusCode, response.headers, bodyText);
}

/** The error for an upstream error status whose body was read (see {@link upstreamStatusError}). */
export function upstreamStatusErrorFromText(
  provider: string,
  status: number,
  responseHeaders: Readonly<Record<string, string | string[] | undefined>>,
  bodyText: string,
): ProviderCallError {
  const headers: Record<string, string> = {};
  const retryAfter = responseHeaders['retry-after'];
  if (typeof retryAfter === 'string') headers['retry-after'] = retryAfter;
  return new ProviderCallError({
    provider,
    kind: errorKindForStatus(status),
    message: `${provider} returned ${status}: ${upstreamErrorMessage(bodyText)}`,
    upstreamStatus: status,
    body: bodyText,
    retryable: isRetryableStatus(status),
    headers,
  });
}

/**
 * The error for a failure while reading a response body that had begun: the caller went away
 * (an abort; not retryable) or a network failure / body timeout (see {@link networkError}).
 */
export function readStreamError(provider: string, error: unknown): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const aborted = (error instanceof Error && error.name === 'AbortError') || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR';
  if (!aborted) return networkError(provider, error);
  return new ProviderCallError({ provider, kind: 'api_error', message: `reading the ${provider} stream was aborted`, retryable: false, cause: error });
}

/** The error for an upstream stream that ended before the response was finished (no finish reason, no end marker); 502, not retryable. */
export function streamEndedEarlyError(provider: string): ProviderCallError {
  return new ProviderCallError({ provider, kind: 'api_error', status: 502, message: `${provider} ended the stream before the response was finished`, retryable: false });
}
