/**
 * Typed errors. Every failure on the request path is one of these; inbound encoders turn them into
 * the caller's error shape (Anthropic `{type:"error",error:{type,message}}`, OpenAI `{error:{…}}`).
 */

/**
 * The error classes Heimdall speaks in, named after Anthropic's error types, each with its HTTP
 * status. @see https://docs.anthropic.com/en/api/errors
 */
export type GatewayErrorKind =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/** The HTTP status each error kind is answered with. */
export function statusForErrorKind(kind: GatewayErrorKind): number {
  switch (kind) {
    case 'invalid_request_error':
      return 400;
    case 'authentication_error':
      return 401;
    case 'permission_error':
      return 403;
    case 'not_found_error':
      return 404;
    case 'request_too_large':
      return 413;
    case 'rate_limit_error':
      return 429;
    case 'api_error':
      return 500;
    case 'timeout_error':
      return 504;
    case 'overloaded_error':
      return 529;
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown error kind ${String(unreachable)}`);
    }
  }
}

/** The error kind for an HTTP status an upstream answered with. */
export function errorKindForStatus(status: number): GatewayErrorKind {
  if (status === 400 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 408 || status === 504) return 'timeout_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

/** An error Heimdall answers the caller with. `status` is the HTTP status sent to the caller. */
export class GatewayError extends Error {
  readonly kind: GatewayErrorKind;
  readonly status: number;
  /** Extra response headers, e.g. `retry-after` on a rate limit. */
  readonly headers: Record<string, string>;

  constructor(kind: GatewayErrorKind, message: string, options?: { status?: number; headers?: Record<string, string>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.kind = kind;
    this.status = options?.status ?? statusForErrorKind(kind);
    this.headers = options?.headers ?? {};
  }
}

/**
 * A failed call to a provider: an error status from the upstream, a network failure or a timeout.
 * `upstreamStatus` is absent for network failures. `retryable` says whether the same request may
 * succeed when tried again (network errors, 408, 429, 5xx).
 */
export class ProviderCallError extends GatewayError {
  readonly provider: string;
  readonly upstreamStatus?: number;
  /** The upstream's error body as text (never contains our credentials). */
  readonly body?: string;
  readonly retryable: boolean;

  constructor(options: {
    provider: string;
    kind: GatewayErrorKind;
    message: string;
    upstreamStatus?: number;
    body?: string;
    retryable: boolean;
    /** Status sent to the caller; defaults to the kind's status. */
    status?: number;
    headers?: Record<string, string>;
    cause?: unknown;
  }) {
    super(options.kind, options.message, { status: options.status, headers: options.headers, cause: options.cause });
    this.name = 'ProviderCallError';
    this.provider = options.provider;
    this.upstreamStatus = options.upstreamStatus;
    this.body = options.body;
    this.retryable = options.retryable;
  }
}

/** Whether an upstream HTTP status is worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
