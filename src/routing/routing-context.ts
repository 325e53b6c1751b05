import type { IncomingHttpHeaders } from 'node:http';
import type { RequestKind } from './classify-claude-code-request.js';

/**
 * What a routing rule sees: the CEL variables of one request. Governance fields (virtual key,
 * team, customer, budget and token use) come from the caller's virtual key
 * (`governance/governance-routing-facts.ts`); without governance or a key they are null / 0.
 *
 * @see ../../docs/architecture.md#routing
 */

/** A governance entity a request belongs to (a virtual key, a team, a customer). */
export interface RoutingIdentity {
  id: string;
  name: string;
}

/**
 * The CEL variables of a request. Field names are the variable names rules use.
 *
 * - `model`: the model the caller asked for, exactly as sent (`sonnet-model`, `openai/gpt-5`).
 * - `provider`: the provider that model names or resolves to without rules (`openai` for
 *   `openai/gpt-5`, `anthropic` for a bare `claude-*`); `""` when it resolves to none.
 * - `headers`: request headers, keys lower-case (rules may write any case: `headers["User-Agent"]`
 *   is rewritten to `headers["user-agent"]` when the rule is compiled). Credentials
 *   (`authorization`, `x-api-key`, `cookie`, `proxy-authorization`) are left out.
 * - `params`: the request's top-level parameters (`max_tokens`, `stream`, `thinking`,
 *   `temperature`, `metadata`, `output_config`, …) without `messages`, `system` and `tools`.
 * - `virtual_key`, `team`, `customer`: `{id, name}` or null.
 * - `budget_used`, `tokens_used`: percent (0–100, may exceed 100) of the tightest budget / token
 *   limit that applies to the request; 0 when none applies.
 * - `request_kind`: `main`, `subagent`, `background`, `title`, `compaction` or `other`
 *   (see `classify-claude-code-request.ts`).
 */
export interface RoutingContext {
  model: string;
  provider: string;
  headers: Readonly<Record<string, string>>;
  params: Readonly<Record<string, JsonValue>>;
  virtual_key: RoutingIdentity | null;
  team: RoutingIdentity | null;
  customer: RoutingIdentity | null;
  /** Percent of the tightest applicable budget already spent. */
  budget_used: number;
  /** Percent of the tightest applicable token limit already used. */
  tokens_used: number;
  request_kind: RequestKind;
}

/** The variable names rules may use. */
export type RoutingVariable = keyof RoutingContext;

/** Every variable name, for validating expressions. */
export const ROUTING_VARIABLES: ReadonlySet<string> = new Set<RoutingVariable>([
  'model',
  'provider',
  'headers',
  'params',
  'virtual_key',
  'team',
  'customer',
  'budget_used',
  'tokens_used',
  'request_kind',
]);

/** A JSON value (what request parameters are made of). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * What governance knows about a request, filled by the governance layer (virtual key lookup,
 * budgets). Absent fields mean "no governance": null identities, 0 % used.
 */
export interface GovernanceRoutingFacts {
  virtualKey?: RoutingIdentity | null;
  team?: RoutingIdentity | null;
  customer?: RoutingIdentity | null;
  /** Percent of the tightest applicable budget already spent (0–100+). */
  budgetUsedPercent?: number;
  /** Percent of the tightest applicable token limit already used (0–100+). */
  tokensUsedPercent?: number;
  /** The virtual key's fallback chain (model references), tried after the request's and the rule's. */
  fallbacks?: readonly string[];
}

/** Request headers never exposed to rules. */
const HIDDEN_HEADERS: ReadonlySet<string> = new Set(['authorization', 'x-api-key', 'cookie', 'proxy-authorization']);

/** Body fields left out of `params` (large, and not parameters). */
const NON_PARAMETER_FIELDS: ReadonlySet<string> = new Set(['messages', 'system', 'tools', 'fallbacks']);

/** Node's request headers as the `headers` variable: lower-case keys, repeated values joined with `, `, credentials left out. */
export function routingHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (HIDDEN_HEADERS.has(key)) continue;
    result[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** Whether a value is JSON data (as parsed from a request body). */
export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value === 'object') return Object.values(value).every(isJsonValue);
  return false;
}

/** A request body's top-level parameters as the `params` variable (without messages, system, tools). */
export function routingParams(body: Readonly<Record<string, unknown>>): Record<string, JsonValue> {
  const params: Record<string, JsonValue> = {};
  for (const key in body) {
    if (NON_PARAMETER_FIELDS.has(key)) continue;
    const value = body[key];
    if (isJsonValue(value)) params[key] = value;
  }
  return params;
}

/**
 * A complete context from a partial one, for `explainRoute` callers (the dashboard's "try it"
 * panel, the admin API): missing fields get the no-governance defaults.
 */
export function completeRoutingContext(partial: Partial<RoutingContext> & { model: string }): RoutingContext {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(partial.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    model: partial.model,
    provider: partial.provider ?? '',
    headers,
    params: partial.params ?? {},
    virtual_key: partial.virtual_key ?? null,
    team: partial.team ?? null,
    customer: partial.customer ?? null,
    budget_used: partial.budget_used ?? 0,
    tokens_used: partial.tokens_used ?? 0,
    request_kind: partial.request_kind ?? 'other',
  };
}
