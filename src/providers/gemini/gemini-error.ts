import { ProviderCallError, errorKindForStatus, isRetryableStatus } from '../../core/errors.js';
import { readBodyText } from '../../upstream/upstream-http.js';
import type { RawUpstreamResponse } from '../provider.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The fields of a Google API error body (`{error:{code,message,status,details}}`), when it is one. */
export interface GoogleErrorFields {
  code?: number;
  message: string;
  status?: string;
  /** Seconds from a `google.rpc.RetryInfo` detail (`retryDelay: "34.4s"`), rounded up. */
  retryAfterSeconds?: number;
}

/**
 * Reads a Google API error payload — `{error:{code,message,status,details}}`, or a one-element
 * array of it (streamed JSON arrays) — or returns undefined for anything else.
 * @see https://cloud.google.com/apis/design/errors#http_mapping
 */
export function readGoogleError(payload: unknown): GoogleErrorFields | undefined {
  const outer = Array.isArray(payload) ? record(payload[0]) : record(payload);
  const error = record(outer?.error);
  if (error === undefined) return undefined;
  const fields: GoogleErrorFields = { message: typeof error.message === 'string' && error.message !== '' ? error.message : JSON.stringify(error) };
  if (typeof error.code === 'number') fields.code = error.code;
  if (typeof error.status === 'string') fields.status = error.status;
  if (Array.isArray(error.details)) {
    for (const detail of error.details) {
      const delay = record(detail)?.retryDelay;
      const seconds = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
      if (seconds !== undefined) fields.retryAfterSeconds = Math.ceil(Number(seconds));
    }
  }
  return fields;
}

/**
 * The `ProviderCallError` for a Google error payload. `status` is the HTTP status it came with
 * (for errors inside a 200 stream, the payload's own `code`, else 500). `retry-after` comes from
 * the upstream header or the payload's `RetryInfo`.
 */
export function googleProviderError(provider: string, fields: GoogleErrorFields, status: number, bodyText: string, retryAfterHeader?: string): ProviderCallError {
  const headers: Record<string, string> = {};
  if (retryAfterHeader !== undefined) headers['retry-after'] = retryAfterHeader;
  else if (fields.retryAfterSeconds !== undefined) headers['retry-after'] = String(fields.retryAfterSeconds);
  return new ProviderCallError({
    provider,
    kind: errorKindForStatus(status),
    message: `${provider} returned ${status}${fields.status === undefined ? '' : ` ${fields.status}`}: ${fields.message}`,
    upstreamStatus: status,
    body: bodyText,
    retryable: isRetryableStatus(status),
    headers,
  });
}

/**
 * Builds the error for a Google API error status, reading its body: the caller gets the upstream's
 * status class (400 stays 400, 429 keeps its retry delay, 503 becomes `overloaded_error`).
 */
export async function googleStatusError(provider: string, response: RawUpstreamResponse): Promise<ProviderCallError> {
  const bodyText = await readBodyText(response.body).catch(() => '');
  let payload: unknown;
  try {
    payload = JSON.parse(bodyText);
  } catch {
    payload = undefined;
  }
  const fields = readGoogleError(payload) ?? { message: bodyText.trim() === '' ? '(empty body)' : bodyText.trim().slice(0, 500) };
  const retryAfter = response.headers['retry-after'];
  return googleProviderError(provider, fields, response.statusCode, bodyText, typeof retryAfter === 'string' ? retryAfter : undefined);
}
