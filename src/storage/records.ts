import type { OwnerType } from './database-schema.js';
import type { SecretValue } from './secret-value.js';

/**
 * The records the repositories return: camelCase, parsed JSON, booleans and optional fields instead
 * of 0/1 and nulls. Times are ms since the Unix epoch (UTC); money is USD unless a field says
 * micro-USD. Secrets are {@link SecretValue}s, never plain strings.
 */

export type { OwnerType } from './database-schema.js';

/** The owner a budget or rate limit hangs on. */
export interface OwnerReference {
  type: OwnerType;
  id: string;
}

/** Budget reset periods: minute, hour, day, week, month, year. */
export const BUDGET_PERIODS = ['1m', '1h', '1d', '1w', '1M', '1Y'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** `calendar`: windows on UTC boundaries (ISO weeks start Monday); `rolling`: windows of the period's length from the budget's anchor. */
export const BUDGET_ALIGNMENTS = ['calendar', 'rolling'] as const;
export type BudgetAlignment = (typeof BUDGET_ALIGNMENTS)[number];

/** A rate-limit window length: a positive integer and a unit, `s`, `m`, `h` or `d` (`10s`, `1m`, `1h`, `1d`). */
export const RATE_LIMIT_WINDOW_PATTERN = /^([1-9][0-9]{0,5})(s|m|h|d)$/;

/** `provider` value of a rate limit that counts all providers together. */
export const ALL_PROVIDERS = '*';

export function isBudgetPeriod(value: string): value is BudgetPeriod {
  return (BUDGET_PERIODS as readonly string[]).includes(value);
}

export function isBudgetAlignment(value: string): value is BudgetAlignment {
  return (BUDGET_ALIGNMENTS as readonly string[]).includes(value);
}

/**
 * The length of a rate-limit window, ms.
 * @returns undefined when `window` is not `<n>s|m|h|d`
 */
export function rateLimitWindowMs(window: string): number | undefined {
  const match = RATE_LIMIT_WINDOW_PATTERN.exec(window);
  if (match === null) return undefined;
  const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unitMs;
}

export interface CustomerRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface TeamRecord {
  id: string;
  name: string;
  customerId?: string;
  createdAt: number;
  updatedAt: number;
}

export interface VirtualKeyRecord {
  id: string;
  name: string;
  /** SHA-256 of the secret, lower-case hex. Not a secret itself, but never returned by public views. */
  secretHash: string;
  /** `hk-` and 4 more characters, for display. */
  keyPrefix: string;
  teamId?: string;
  customerId?: string;
  active: boolean;
  expiresAt?: number;
  revokedAt?: number;
  /** Provider instance names or glob patterns; `["*"]` = any. */
  allowedProviders: string[];
  /** Model names or glob patterns, bare (`gpt-5*`) or qualified (`openai/gpt-5*`); `["*"]` = any. */
  allowedModels: string[];
  /** Provider key names or glob patterns; `["*"]` = any. */
  allowedProviderKeys: string[];
  /** Whether the request log may store prompt and completion content. */
  logContent: boolean;
  /** MCP tools the key may call; undefined = not restricted (placeholder for a later issue). */
  mcpTools?: string[];
  /**
   * The key's fallback chain: model references (`provider/model` or an alias) tried in order when
   * the routed target fails, after the request's own and the matching rule's fallbacks. `[]` = none.
   */
  fallbacks: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ProviderTimeoutsRecord {
  connectMs?: number;
  firstByteMs?: number;
  idleMs?: number;
}

export interface ProviderKeyRecord {
  id: string;
  providerId: string;
  /** A label; never the secret. Unique within its provider. */
  name: string;
  value: SecretValue;
  /** Relative share of traffic, > 0. */
  weight: number;
  /** Model names or glob patterns this key serves. */
  models: string[];
  /** Model name → deployment name (Azure deployments, Bedrock inference profiles). */
  deployments: Record<string, string>;
  /** Key-kind-specific settings (JSON values; may hold credentials: never return them from an API). */
  options: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface ProviderRecord {
  id: string;
  /** Instance name: the `provider/` prefix of model names. */
  name: string;
  /** Provider kind in the registry (`openai`, `groq`, …). */
  type: string;
  baseUrl?: string;
  /** Extra upstream headers (lower-case names); values may be credentials. */
  headers: Record<string, SecretValue>;
  models: string[];
  maxOutputTokens?: number;
  timeouts: ProviderTimeoutsRecord;
  /** Provider-kind-specific settings (JSON values; may hold credentials: never return them from an API). */
  options: Record<string, unknown>;
  keys: ProviderKeyRecord[];
  createdAt: number;
  updatedAt: number;
}

export interface BudgetRecord {
  id: string;
  owner: OwnerReference;
  /** Limit per period, USD. */
  limitUsd: number;
  period: BudgetPeriod;
  alignment: BudgetAlignment;
  /** Creation or last reset, ms since epoch. */
  anchorAt: number;
  createdAt: number;
  updatedAt: number;
}

export interface RateLimitRecord {
  id: string;
  owner: OwnerReference;
  /** Provider instance name, or `*` for all providers together. */
  provider: string;
  /** Window length text (`1m`). */
  window: string;
  /** Window length, ms. */
  windowMs: number;
  /** Requests per window; undefined = not limited. */
  maxRequests?: number;
  /** Tokens per window; undefined = not limited. */
  maxTokens?: number;
  createdAt: number;
  updatedAt: number;
}

/** One settled request, as recorded for durable spend and reporting. Token counts in tokens. */
export interface UsageRecord {
  id: string;
  createdAt: number;
  virtualKeyId?: string;
  teamId?: string;
  customerId?: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Integer micro-USD (1e-6 USD). */
  costMicroUsd: number;
  priced: boolean;
}
