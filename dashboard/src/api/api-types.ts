/**
 * Shapes of the public admin API (`/api/…`, documented in `/api/openapi.json`, see
 * src/admin/admin-api-schemas.ts) and of the logs API (`/api/logs…`, see
 * src/observability/observability-routes.ts). Times are ISO 8601 strings in the admin API and ms
 * since the epoch in the logs API; costs are USD; latencies ms; tokens counts.
 */

/** `GET /api/auth/session`. */
export interface Session {
  authenticated: boolean;
  principal: { kind: 'token' | 'session' | 'loopback'; user_id: string | null; username: string | null } | null;
  expires_at: string | null;
}

export interface AdminUser {
  id: string;
  username: string;
  created_at: string | null;
  updated_at: string | null;
  last_login_at: string | null;
}

export interface LoginResult {
  user: AdminUser;
  expires_at: string;
}

/** A list answer of the admin API. */
export interface ListOf<T> {
  data: T[];
}

export interface Customer {
  id: string;
  name: string;
  created_at: string | null;
  updated_at: string | null;
}

export interface Team {
  id: string;
  name: string;
  customer_id: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export type VirtualKeyState = 'active' | 'inactive' | 'revoked' | 'expired';

/** A virtual key as listed: never its secret, only the `hk-xxxx` prefix. */
export interface VirtualKey {
  id: string;
  name: string;
  key_prefix: string;
  state: VirtualKeyState;
  team_id: string | null;
  customer_id: string | null;
  active: boolean;
  expires_at: string | null;
  revoked_at: string | null;
  allowed_providers: string[];
  allowed_models: string[];
  allowed_provider_keys: string[];
  log_content: boolean;
  /** Glob patterns over `<server>__<tool>`; null: every tool. */
  mcp_tools: string[] | null;
  /** Fallback chain (provider/model or alias), tried in order after the request's and the matching rule's fallbacks. */
  fallbacks: string[];
  created_at: string | null;
  updated_at: string | null;
}

export type BudgetPeriod = '1m' | '1h' | '1d' | '1w' | '1M' | '1Y';
export type OwnerType = 'customer' | 'team' | 'virtual_key';

export interface BudgetCurrent {
  window_start: string | null;
  window_end: string | null;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
}

export interface Budget {
  id: string;
  owner_type: OwnerType;
  owner_id: string;
  limit_usd: number;
  period: BudgetPeriod;
  alignment: 'calendar' | 'rolling';
  anchor_at: string | null;
  current?: BudgetCurrent;
}

export interface RateLimit {
  id: string;
  owner_type: OwnerType;
  owner_id: string;
  provider: string;
  window: string;
  requests: number | null;
  tokens: number | null;
}

export interface BudgetInput {
  limit_usd: number;
  period: BudgetPeriod;
  alignment?: 'calendar' | 'rolling';
}

export interface RateLimitInput {
  requests?: number;
  tokens?: number;
  window: string;
  provider?: string;
}

export interface VirtualKeyCreate {
  name: string;
  team_id?: string;
  customer_id?: string;
  expires_at?: string | null;
  allowed_providers?: string[];
  allowed_models?: string[];
  log_content?: boolean;
  mcp_tools?: string[];
  fallbacks?: string[];
  budgets?: BudgetInput[];
  rate_limits?: RateLimitInput[];
}

export interface VirtualKeyUpdate {
  name?: string;
  team_id?: string | null;
  customer_id?: string | null;
  active?: boolean;
  expires_at?: string | null;
  allowed_providers?: string[];
  allowed_models?: string[];
  log_content?: boolean;
  mcp_tools?: string[] | null;
  fallbacks?: string[];
}

/** `POST /api/virtual-keys` and `…/rotate`: the only answers that carry the secret. */
export interface CreatedVirtualKey {
  virtual_key: VirtualKey;
  secret: string;
  budgets: Budget[];
  rate_limits: RateLimit[];
}

export interface UsageTotals {
  from: string;
  to: string;
  owner_type: string | null;
  owner_id: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
}

/** One upstream attempt of a logged request. */
export interface LoggedAttempt {
  provider: string;
  model: string;
  key?: string;
  outcome: 'served' | 'failed' | 'unavailable';
  status?: number;
  error?: string;
  delayMs?: number;
}

/** A request-log record as listed and tailed (no bodies). Times are ms since the epoch. */
export interface LogSummary {
  id: string;
  createdAt: number;
  virtualKeyId?: string;
  virtualKeyName?: string;
  teamId?: string;
  customerId?: string;
  requestKind: string;
  inboundApi: 'anthropic' | 'bedrock' | 'genai';
  provider?: string;
  modelRequested?: string;
  modelServed?: string;
  providerKey?: string;
  routeName?: string;
  fallbackStep: number;
  attempts: LoggedAttempt[];
  status: number;
  errorType?: string;
  errorMessage?: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: number;
  timeToFirstTokenMs?: number;
  upstreamMs?: number;
  streaming: boolean;
  stopReason?: string;
  droppedFields: { field: string; reason: string }[];
  traceId?: string;
}

/** `GET /api/logs/{id}`: the summary with the request body (JSON text) and the answer (an Anthropic message). */
/** One upstream HTTP exchange of a request: what Heimdall sent to the provider and its raw answer. */
export interface LogUpstreamExchange {
  provider: string;
  model: string;
  /** Upstream URL without its query string. */
  url: string;
  /** The body sent upstream (JSON text). */
  request: string;
  status?: number;
  contentType?: string;
  /** The raw answer: JSON text, or server-sent-event text for a stream. */
  response: string;
  /** The answer was longer than the log keeps (8 MiB). */
  truncated: boolean;
}

export interface LogRecord extends LogSummary {
  requestBody?: string;
  responseBody?: unknown;
  /** Absent when content logging was off. */
  upstream?: LogUpstreamExchange[];
}

export interface LogPage {
  data: LogSummary[];
  next_cursor: string | null;
}

/** The filter of `/api/logs`, `/api/logs/stats` and `/api/logs/tail` (query parameters). */
export interface LogFilter {
  from?: string;
  to?: string;
  provider?: string;
  model?: string;
  virtual_key?: string;
  team?: string;
  customer?: string;
  /** An HTTP status, `error` or `success`. */
  status?: string;
  request_kind?: string;
  inbound_api?: string;
  search?: string;
}

export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** Totals of a time bucket or a group of `/api/logs/stats`. */
export interface LogTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  averageLatencyMs: number | null;
}

export interface LogBucket extends LogTotals {
  /** ms since the epoch. */
  start: number;
}

export type LogDimension = 'provider' | 'model' | 'virtual_key' | 'request_kind' | 'team' | 'customer';

export interface LogGroup extends LogTotals {
  key: string | null;
  label: string | null;
}

/** `GET /api/logs/stats` (`series` with `bucket=`, `groups` with `group_by=`). */
export interface LogStats {
  requests: number;
  errors: number;
  errorRate: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: Percentiles & { average: number | null };
  timeToFirstTokenMs: Percentiles;
  dropped: number;
  bucket_ms?: number;
  series?: LogBucket[];
  groups?: Partial<Record<LogDimension, LogGroup[]>>;
}
