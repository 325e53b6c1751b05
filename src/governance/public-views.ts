import type {
  BudgetRecord,
  CustomerRecord,
  ProviderKeyRecord,
  ProviderRecord,
  RateLimitRecord,
  TeamRecord,
  VirtualKeyRecord,
} from '../storage/records.js';
import type { BudgetStatus } from './governance-service.js';

/**
 * The shapes the admin API and the dashboard return: snake_case JSON, times as ISO 8601 strings,
 * money in USD. They never hold a secret: virtual keys show their `hk-xxxx…` prefix (no hash),
 * provider keys and header values show at most their first and last 4 characters
 * (`maskSecret`), and nothing else is derived from a secret.
 */

function iso(timeMs: number | undefined): string | null {
  return timeMs === undefined ? null : new Date(timeMs).toISOString();
}

export interface PublicCustomer {
  id: string;
  name: string;
  created_at: string | null;
  updated_at: string | null;
}

export function publicCustomer(customer: CustomerRecord): PublicCustomer {
  return { id: customer.id, name: customer.name, created_at: iso(customer.createdAt), updated_at: iso(customer.updatedAt) };
}

export interface PublicTeam {
  id: string;
  name: string;
  customer_id: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export function publicTeam(team: TeamRecord): PublicTeam {
  return { id: team.id, name: team.name, customer_id: team.customerId ?? null, created_at: iso(team.createdAt), updated_at: iso(team.updatedAt) };
}

/** A virtual key's state at a moment: `revoked` beats `inactive` beats `expired`. */
export type VirtualKeyState = 'active' | 'inactive' | 'revoked' | 'expired';

export function virtualKeyState(key: VirtualKeyRecord, nowMs: number): VirtualKeyState {
  if (key.revokedAt !== undefined) return 'revoked';
  if (!key.active) return 'inactive';
  if (key.expiresAt !== undefined && key.expiresAt <= nowMs) return 'expired';
  return 'active';
}

export interface PublicVirtualKey {
  id: string;
  name: string;
  /** `hk-xxxx…`: enough to recognise the key, not to use it. */
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
  mcp_tools: string[] | null;
  /** Models (provider/model or an alias) tried in order when the routed target fails, after the request's and the rule's fallbacks. */
  fallbacks: string[];
  created_at: string | null;
  updated_at: string | null;
}

/** A virtual key without its secret hash. */
export function publicVirtualKey(key: VirtualKeyRecord, nowMs: number = Date.now()): PublicVirtualKey {
  return {
    id: key.id,
    name: key.name,
    key_prefix: `${key.keyPrefix}…`,
    state: virtualKeyState(key, nowMs),
    team_id: key.teamId ?? null,
    customer_id: key.customerId ?? null,
    active: key.active,
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
    allowed_providers: key.allowedProviders,
    allowed_models: key.allowedModels,
    allowed_provider_keys: key.allowedProviderKeys,
    log_content: key.logContent,
    mcp_tools: key.mcpTools ?? null,
    fallbacks: key.fallbacks,
    created_at: iso(key.createdAt),
    updated_at: iso(key.updatedAt),
  };
}

/** The one response that carries a virtual key's plaintext: its creation (or rotation). */
export interface PublicCreatedVirtualKey {
  virtual_key: PublicVirtualKey;
  /** The `hk-…` secret. Shown once; Heimdall keeps only its SHA-256. */
  secret: string;
}

export interface PublicProviderKey {
  id: string;
  name: string;
  /** `sk-p…9xQz` for long values, `****` for short ones. */
  value_hint: string;
  weight: number;
  models: string[];
  deployments: Record<string, string>;
  /** Names of the key-kind-specific settings; their values may be credentials and are not shown. */
  option_names: string[];
  created_at: string | null;
  updated_at: string | null;
}

export function publicProviderKey(key: ProviderKeyRecord): PublicProviderKey {
  return {
    id: key.id,
    name: key.name,
    value_hint: key.value.masked(),
    weight: key.weight,
    models: key.models,
    deployments: key.deployments,
    option_names: Object.keys(key.options).sort(),
    created_at: iso(key.createdAt),
    updated_at: iso(key.updatedAt),
  };
}

export interface PublicProvider {
  id: string;
  name: string;
  type: string;
  base_url: string | null;
  /** Header names with masked values. */
  headers: Record<string, string>;
  models: string[];
  max_output_tokens: number | null;
  timeouts: { connect_ms: number | null; first_byte_ms: number | null; idle_ms: number | null };
  /** Names of the provider-kind-specific settings; their values may be credentials and are not shown. */
  option_names: string[];
  /** Model name → deployment (Azure deployment, Bedrock inference profile) for every key: the `deployments` setting, not a secret. */
  deployments: Record<string, string>;
  keys: PublicProviderKey[];
  created_at: string | null;
  updated_at: string | null;
}

/** A `deployments` option as a name → deployment map (only string values; anything else is left out). */
function deploymentsOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function publicProvider(provider: ProviderRecord): PublicProvider {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(provider.headers)) headers[name] = value.masked();
  return {
    id: provider.id,
    name: provider.name,
    type: provider.type,
    base_url: provider.baseUrl ?? null,
    headers,
    models: provider.models,
    max_output_tokens: provider.maxOutputTokens ?? null,
    timeouts: {
      connect_ms: provider.timeouts.connectMs ?? null,
      first_byte_ms: provider.timeouts.firstByteMs ?? null,
      idle_ms: provider.timeouts.idleMs ?? null,
    },
    option_names: Object.keys(provider.options).sort(),
    deployments: deploymentsOf(provider.options.deployments),
    keys: provider.keys.map(publicProviderKey),
    created_at: iso(provider.createdAt),
    updated_at: iso(provider.updatedAt),
  };
}

export interface PublicBudget {
  id: string;
  owner_type: string;
  owner_id: string;
  limit_usd: number;
  period: string;
  alignment: string;
  anchor_at: string | null;
  /** Present when the status was read. */
  current?: { window_start: string | null; window_end: string | null; spent_usd: number; reserved_usd: number; remaining_usd: number };
}

export function publicBudget(budget: BudgetRecord, status?: BudgetStatus): PublicBudget {
  return {
    id: budget.id,
    owner_type: budget.owner.type,
    owner_id: budget.owner.id,
    limit_usd: budget.limitUsd,
    period: budget.period,
    alignment: budget.alignment,
    anchor_at: iso(budget.anchorAt),
    ...(status === undefined
      ? {}
      : {
          current: {
            window_start: iso(status.windowStartMs),
            window_end: iso(status.windowEndMs),
            spent_usd: status.spentUsd,
            reserved_usd: status.reservedUsd,
            remaining_usd: status.remainingUsd,
          },
        }),
  };
}

export interface PublicRateLimit {
  id: string;
  owner_type: string;
  owner_id: string;
  provider: string;
  window: string;
  requests: number | null;
  tokens: number | null;
}

export function publicRateLimit(limit: RateLimitRecord): PublicRateLimit {
  return {
    id: limit.id,
    owner_type: limit.owner.type,
    owner_id: limit.owner.id,
    provider: limit.provider,
    window: limit.window,
    requests: limit.maxRequests ?? null,
    tokens: limit.maxTokens ?? null,
  };
}
