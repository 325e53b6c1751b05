import { GatewayError } from '../core/errors.js';
import type { BudgetPeriod } from '../storage/records.js';
import { describeBudgetPeriod } from './time-windows.js';

/**
 * The refusals governance answers with, as `GatewayError`s with Anthropic error kinds. Statuses are
 * chosen for how Claude Code and the Anthropic SDKs react (they retry 408, 409, 429 and 5xx, obey
 * `x-should-retry`, and Claude Code prefixes 401/403 messages with "Please run /login"):
 *
 * - no / invalid virtual key → 401 `authentication_error` (a credential problem: /login is apt);
 * - provider or model not allowed → 403 `permission_error`;
 * - budget spent → 400 `invalid_request_error` with `x-should-retry: false`: not retried (a spent
 *   budget does not come back in seconds), shown as is, and the same shape as Anthropic's own
 *   "credit balance is too low" refusal;
 * - rate limited → 429 `rate_limit_error` with `retry-after` (s) and `retry-after-ms`: retried after
 *   the window ends;
 * - counter store or database unreachable → 500 `api_error` (retried; nothing was forwarded).
 */

/** Money for messages: `$12.34`, small amounts with up to 6 decimals (`$0.0042`). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(6).replace(/0+$/, '')}`;
}

/**
 * Refusals that trying again cannot fix carry `x-should-retry: false`: Anthropic's SDK (and so
 * Claude Code) honours it, and otherwise keeps retrying a 401 for minutes before showing it.
 */
const DO_NOT_RETRY = { 'x-should-retry': 'false' } as const;

const HOW_TO_SEND = 'send it as `x-api-key: hk-…`, `Authorization: Bearer hk-…` or `x-heimdall-vk: hk-…`';

/** 401: the gateway requires a virtual key and the request has none. */
export function virtualKeyRequiredError(): GatewayError {
  return new GatewayError(
    'authentication_error',
    `This Heimdall gateway requires a virtual key: ${HOW_TO_SEND}. Ask your Heimdall administrator for one.`,
    { headers: { ...DO_NOT_RETRY } },
  );
}

/** 401: the presented virtual key is malformed, unknown, revoked, deactivated or expired. */
export function invalidVirtualKeyError(message: string): GatewayError {
  return new GatewayError('authentication_error', message, { headers: { ...DO_NOT_RETRY } });
}

/** 403: the key may not use this provider, model or provider key. */
export function notAllowedError(message: string): GatewayError {
  return new GatewayError('permission_error', message, { headers: { ...DO_NOT_RETRY } });
}

/** What a budget refusal says. */
export interface BudgetRefusal {
  /** `virtual key 'ci'`, `team 'platform'`, `customer 'acme'`. */
  ownerDescription: string;
  period: BudgetPeriod;
  limitUsd: number;
  spentUsd: number;
  /** Held by requests in progress, USD. */
  reservedUsd: number;
  /** This request's estimated cost, USD. */
  estimateUsd: number;
  /** When the window ends, ms since epoch. */
  resetsAtMs: number;
}

/**
 * 400 `invalid_request_error`, `x-should-retry: false`: a budget on the key's chain has no room.
 * The message says whose budget, how much of it is used, when it resets, and what to do.
 */
export function budgetExhaustedError(refusal: BudgetRefusal): GatewayError {
  const period = describeBudgetPeriod(refusal.period);
  const resets = new Date(refusal.resetsAtMs).toISOString();
  const left = Math.max(0, refusal.limitUsd - refusal.spentUsd);
  const state =
    refusal.spentUsd >= refusal.limitUsd
      ? `has used ${formatUsd(refusal.spentUsd)} of its ${formatUsd(refusal.limitUsd)} ${period} budget`
      : `has ${formatUsd(left)} left of its ${formatUsd(refusal.limitUsd)} ${period} budget, not enough for this request (estimated ${formatUsd(refusal.estimateUsd)}; ${formatUsd(refusal.reservedUsd)} is held by requests in progress)`;
  return new GatewayError(
    'invalid_request_error',
    `Heimdall budget exhausted: ${refusal.ownerDescription} ${state}. The budget resets at ${resets}; until then requests on this key are refused. Ask your Heimdall administrator to raise or reset the budget.`,
    { headers: { 'x-should-retry': 'false' } },
  );
}

/** What a rate-limit refusal says. */
export interface RateLimitRefusal {
  ownerDescription: string;
  exhausted: 'requests' | 'tokens';
  limit: number;
  window: string;
  /** `*` or the provider the limit is scoped to. */
  provider: string;
  retryAfterMs: number;
}

/** 429 `rate_limit_error` with `retry-after` (whole seconds, at least 1) and `retry-after-ms`. */
export function rateLimitedError(refusal: RateLimitRefusal): GatewayError {
  const seconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const scope = refusal.provider === '*' ? '' : ` on provider '${refusal.provider}'`;
  return new GatewayError(
    'rate_limit_error',
    `Heimdall rate limit: ${refusal.ownerDescription} allows ${refusal.limit} ${refusal.exhausted} per ${refusal.window}${scope}; retry in ${seconds} s.`,
    { headers: { 'retry-after': String(seconds), 'retry-after-ms': String(Math.max(0, Math.ceil(refusal.retryAfterMs))) } },
  );
}

/** 500 `api_error`: governance state could not be read or written; nothing was forwarded. */
export function governanceUnavailableError(what: string, cause: unknown): GatewayError {
  return new GatewayError('api_error', `Heimdall could not reach its ${what}; the request was not forwarded. Try again shortly.`, { cause });
}
