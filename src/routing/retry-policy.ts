import { GatewayError, ProviderCallError } from '../core/errors.js';

/**
 * When a failed upstream attempt is tried again, on which key or target, and after how long.
 *
 * | failure | what happens next |
 * | --- | --- |
 * | network error, reset, timeout before the first byte; 408, 409, 5xx | the same target again (a key picked anew by weight and health) after an exponential backoff with full jitter, up to `maxRetries`; then the next fallback |
 * | 429 | the next key of the same provider at once; without one, the same key after `retry-after` (when it is at most `maxRetryAfterMs`) or the backoff; then the next fallback |
 * | 401, 403 | the next key of the same provider; without one, the next fallback |
 * | 404 | the next fallback (the model is not on that provider) |
 * | the target cannot take the request (no key allows the model, the provider cannot serve this API) | the next fallback |
 * | 400, 413, 422 and other 4xx; a malformed request | nothing: the error goes to the caller (another provider would refuse it too) |
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 * @see ../../docs/architecture.md#fallbacks-retries-and-load-balancing
 */

/** Retry limits and backoff, all durations in ms. */
export interface RetryPolicy {
  /** Retries of the same target after its first try (not counting key changes). */
  maxRetries: number;
  /** Backoff ceiling of the first retry, ms; doubles with each retry. */
  initialBackoffMs: number;
  /** Largest backoff ceiling, ms. */
  maxBackoffMs: number;
  /** Longest upstream `retry-after` waited for, ms; a longer one moves on to the next key or fallback at once. */
  maxRetryAfterMs: number;
  /** Most upstream attempts for one request, over every target, key and retry. */
  maxAttempts: number;
}

/** Defaults: 2 retries, 250 ms → 4 s backoff, `retry-after` honoured up to 10 s, at most 10 attempts. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxRetries: 2,
  initialBackoffMs: 250,
  maxBackoffMs: 4_000,
  maxRetryAfterMs: 10_000,
  maxAttempts: 10,
};

/**
 * The wait before retry number `retry` (0 for the first retry), ms: uniform in
 * [0, min(maxBackoffMs, initialBackoffMs × 2^retry)] ("full jitter").
 * @param random a number in [0, 1) (injectable for tests)
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

/**
 * The delay an upstream asked for, ms: `retry-after-ms` (OpenAI, Anthropic), or `retry-after` as
 * seconds or an HTTP date. Undefined when absent or unreadable.
 * @param nowMs the current time (ms since the epoch), for HTTP dates
 * @see https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function retryAfterMs(headers: Readonly<Record<string, string | string[] | undefined>>, nowMs: number): number | undefined {
  const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
  const milliseconds = first(headers['retry-after-ms']);
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Math.ceil(Number(milliseconds));
  const value = first(headers['retry-after'])?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * The target could not take the request at all (no key allows the model, the provider cannot
 * serve this API, the model resolves nowhere): the next fallback is tried.
 */
export class TargetUnavailableError extends GatewayError {
  constructor(cause: GatewayError) {
    super(cause.kind, cause.message, { status: cause.status, headers: cause.headers, cause });
    this.name = 'TargetUnavailableError';
  }
}

/** What to do after a failed attempt. */
export type FailureAction =
  /** the same target again, after a backoff */
  | 'retry'
  /** 429: another key of the provider now; else the same key after retry-after / backoff */
  | 'rate-limited'
  /** 401/403: another key of the provider; else the next target */
  | 'next-key'
  /** the next fallback target */
  | 'next-target'
  /** stop: the caller gets this error */
  | 'give-up';

/** How a failure is handled, and whether it counts against the key's / provider's health. */
export interface FailureClassification {
  action: FailureAction;
  /** Whether the failure says something about the key or provider (network, 5xx, 429, 401/403), so the circuit breaker counts it. */
  unhealthy: boolean;
}

/** Classifies a failed attempt (see the table above). */
export function classifyFailure(error: unknown): FailureClassification {
  if (error instanceof TargetUnavailableError) return { action: 'next-target', unhealthy: false };
  if (error instanceof ProviderCallError) {
    const status = error.upstreamStatus;
    if (status === undefined) return { action: error.retryable ? 'retry' : 'next-target', unhealthy: true };
    const action = statusFailureAction(status);
    return { action, unhealthy: action === 'retry' || action === 'rate-limited' || action === 'next-key' };
  }
  return { action: 'give-up', unhealthy: false };
}

/**
 * Whether an upstream HTTP status would lead to another attempt given what is left (used by the
 * passthrough to decide between relaying an error response as it is and trying again).
 */
export function statusFailureAction(status: number): FailureAction {
  if (status === 429) return 'rate-limited';
  if (status === 401 || status === 403) return 'next-key';
  if (status === 408 || status === 409 || status >= 500) return 'retry';
  if (status === 404) return 'next-target';
  return 'give-up';
}
