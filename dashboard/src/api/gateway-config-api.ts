import { apiRequest } from './api-client.js';
import type { ListOf } from './api-types.js';

/**
 * Typed calls and shapes for the gateway-configuration pages (Providers, Routing rules, MCP,
 * Settings): `/api/providers…` and `/api/provider-kinds` (src/admin/routes/provider-routes.ts,
 * provider-test-routes.ts), `/api/routing/…` (routing-routes.ts), `/api/mcp/…`
 * (src/mcp/mcp-admin-api.ts) and `/api/settings` (settings-routes.ts). Each call throws `ApiError`
 * on a non-2xx answer.
 */

const encode = encodeURIComponent;

// Providers

export interface ProviderKey {
  id: string;
  name: string;
  /** At most the first and last 4 characters; never the value. */
  value_hint: string;
  weight: number;
  models: string[];
  deployments: Record<string, string>;
  option_names: string[];
  created_at: string | null;
  updated_at: string | null;
}

export interface Provider {
  id: string;
  name: string;
  type: string;
  base_url: string | null;
  headers: Record<string, string>;
  models: string[];
  max_output_tokens: number | null;
  option_names: string[];
  deployments: Record<string, string>;
  keys: ProviderKey[];
  created_at: string | null;
  updated_at: string | null;
}

export interface ProviderKind {
  kind: string;
  display_name: string;
  default_base_url: string | null;
  requires_key: boolean;
  api_key_variable: string | null;
}

export interface ProviderKeyInput {
  name: string;
  value: string;
  weight?: number;
  models?: string[];
  deployments?: Record<string, string>;
}

/** Microsoft Entra ID client credentials (Azure), used instead of keys; replaced as a whole. */
export interface ProviderEntraCredentials {
  tenant_id: string;
  client_id: string;
  /** Write-only: the API never returns it. May be "env.NAME". */
  client_secret: string;
  scope?: string;
  authority_host?: string;
}

/** AWS credentials for Bedrock when no keys are given. */
export interface ProviderAwsCredentials {
  credential_chain?: boolean;
  profile?: string;
}

/** Google Cloud project and service-account credentials (Vertex AI). */
export interface ProviderGoogleCloudCredentials {
  project?: string;
  credentials_file?: string;
  /** Write-only: the service-account JSON, or "env.NAME". */
  credentials?: string;
}

/** The kind-specific credential settings the admin API accepts on create and PATCH (src/config/config-schema.ts). */
export interface ProviderCredentialSettings {
  entra?: ProviderEntraCredentials;
  aws?: ProviderAwsCredentials;
  google_cloud?: ProviderGoogleCloudCredentials;
}

export interface ProviderCreate extends ProviderCredentialSettings {
  name: string;
  type: string;
  base_url?: string;
  region?: string;
  api_version?: string;
  /** Extra headers sent upstream; values are secrets (masked in answers) and may be "env.NAME". */
  headers?: Record<string, string>;
  models?: string[];
  deployments?: Record<string, string>;
  keys?: ProviderKeyInput[];
}

export interface ProviderUpdate {
  base_url?: string | null;
  models?: string[];
  deployments?: Record<string, string> | null;
  /** Replaces every stored header (values are write-only, so kept ones are sent again); `{}` removes them all. */
  headers?: Record<string, string>;
  /** An object replaces the stored setting; null removes it. */
  entra?: ProviderEntraCredentials | null;
  aws?: ProviderAwsCredentials | null;
  google_cloud?: ProviderGoogleCloudCredentials | null;
}

export interface ProviderKeyUpdate {
  value?: string;
  weight?: number;
  models?: string[];
  deployments?: Record<string, string>;
}

export interface ProviderTestResult {
  ok: boolean;
  status: number | null;
  latency_ms: number;
  provider: string;
  key: string | null;
  model: string;
  path: 'messages' | 'chat';
  output_text?: string;
  error?: string;
}

export const providersApi = {
  list: async () => (await apiRequest<ListOf<Provider>>('GET', '/api/providers')).data,
  kinds: async () => (await apiRequest<ListOf<ProviderKind>>('GET', '/api/provider-kinds')).data,
  create: (body: ProviderCreate) => apiRequest<Provider>('POST', '/api/providers', body),
  update: (name: string, patch: ProviderUpdate) => apiRequest<Provider>('PATCH', `/api/providers/${encode(name)}`, patch),
  remove: (name: string) => apiRequest<void>('DELETE', `/api/providers/${encode(name)}`),
  addKey: (provider: string, key: ProviderKeyInput) => apiRequest<ProviderKey>('POST', `/api/providers/${encode(provider)}/keys`, key),
  updateKey: (provider: string, key: string, patch: ProviderKeyUpdate) => apiRequest<ProviderKey>('PATCH', `/api/providers/${encode(provider)}/keys/${encode(key)}`, patch),
  removeKey: (provider: string, key: string) => apiRequest<void>('DELETE', `/api/providers/${encode(provider)}/keys/${encode(key)}`),
  test: (provider: string, body: { key?: string; model?: string }) => apiRequest<ProviderTestResult>('POST', `/api/providers/${encode(provider)}/test`, body),
};

// Routing

export type RuleScopeType = 'global' | 'virtual_key' | 'team' | 'customer';

export interface RuleScope {
  type: RuleScopeType;
  id?: string;
}

export interface RuleTarget {
  provider: string;
  model: string;
  key?: string;
  weight?: number;
}

export interface RoutingRuleInput {
  name: string;
  description?: string;
  expression: string;
  scope?: RuleScope;
  priority?: number;
  targets: RuleTarget[];
  fallbacks?: string[];
  enabled?: boolean;
}

export interface RoutingRule {
  name: string;
  description?: string;
  expression: string;
  scope: RuleScope;
  priority: number;
  targets: Array<Required<Pick<RuleTarget, 'provider' | 'model' | 'weight'>> & { key?: string }>;
  fallbacks: string[];
  enabled: boolean;
  source: 'config' | 'api';
  loaded: boolean;
  created_at: string | null;
  updated_at: string | null;
}

export interface ExpressionPosition {
  line: number;
  column: number;
  offset: number;
}

export interface RuleValidation {
  valid: boolean;
  problems: Array<{ field: string; message: string; position?: ExpressionPosition }>;
}

export type RequestKind = 'main' | 'subagent' | 'background' | 'title' | 'compaction' | 'other';

export interface ExplainRequest {
  model: string;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  virtual_key_id?: string;
  request_kind?: RequestKind;
  budget_used?: number;
  tokens_used?: number;
}

export interface ResolvedTarget {
  provider: string;
  model: string;
  key?: string;
}

export type RuleOutcome = 'matched' | 'no-match' | 'error' | 'not-evaluated' | 'out-of-scope' | 'disabled';

export interface RouteExplanation {
  decision?: {
    source: 'rule' | 'alias' | 'default';
    route_name: string;
    rule?: { name: string; scope: RuleScope; priority: number };
    alias?: string;
    requested_model: string;
    target: ResolvedTarget;
    fallbacks: ResolvedTarget[];
    request_kind?: string;
  };
  error?: string;
  evaluations: Array<{ rule: string; scope: RuleScope; priority: number; outcome: RuleOutcome; error?: string }>;
}

/** A model alias as `GET /api/routing/aliases` lists it (routing-routes.ts). */
export interface RoutingAlias {
  name: string;
  target: string;
  /** config: from the config file, read-only here; api: saved through the admin API. */
  source: 'config' | 'api';
  /** Whether the alias is in force (a saved alias whose provider is gone is kept but not loaded). */
  loaded: boolean;
  created_at: string | null;
  updated_at: string | null;
}

/** `GET /api/routing/aliases`: `data` maps the aliases in force to their targets; `aliases` lists every one with its source. */
export interface RoutingAliases {
  data: Record<string, string>;
  aliases: RoutingAlias[];
}

export const routingApi = {
  rules: async () => (await apiRequest<ListOf<RoutingRule>>('GET', '/api/routing/rules')).data,
  create: (rule: RoutingRuleInput) => apiRequest<RoutingRule>('POST', '/api/routing/rules', rule),
  update: (name: string, rule: RoutingRuleInput) => apiRequest<RoutingRule>('PUT', `/api/routing/rules/${encode(name)}`, rule),
  remove: (name: string) => apiRequest<void>('DELETE', `/api/routing/rules/${encode(name)}`),
  validate: (rule: RoutingRuleInput) => apiRequest<RuleValidation>('POST', '/api/routing/validate', rule),
  explain: (request: ExplainRequest) => apiRequest<RouteExplanation>('POST', '/api/routing/explain', request),
  aliases: async () => (await apiRequest<RoutingAliases>('GET', '/api/routing/aliases')).data,
  aliasList: () => apiRequest<RoutingAliases>('GET', '/api/routing/aliases'),
  putAlias: (name: string, target: string) => apiRequest<RoutingAlias>('PUT', `/api/routing/aliases/${encode(name)}`, { target }),
  removeAlias: (name: string) => apiRequest<void>('DELETE', `/api/routing/aliases/${encode(name)}`),
};

// MCP

export type McpUpstreamState = 'connecting' | 'connected' | 'disconnected' | 'disabled';

export interface McpUpstreamStatus {
  id: string;
  state: McpUpstreamState | string;
  transport: string;
  namespace: boolean;
  tools: number;
  resources: number;
  prompts: number;
  consecutive_failures: number;
  reconnect_attempts: number;
  last_error?: string;
  connected_at?: string;
  server?: { name: string; version: string };
  per_user_headers: string[];
  /** `config`: from the config file (read-only here); `api`: added through the admin API (stored). */
  source?: 'config' | 'api';
}

/** A new MCP server, as `POST /api/mcp/clients` takes it (the shape of a `mcp.servers.<name>` entry plus its name). */
export interface NewMcpServer {
  name: string;
  transport?: 'stdio' | 'streamable-http' | 'sse';
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
  headers?: Record<string, string>;
  tools?: '*' | string[];
}

export interface McpTool {
  /** The upstream's own name. */
  name: string;
  /** The name callers see. */
  exposed_name: string;
  /** `<upstream>__<tool>`: what virtual keys' `mcp_tools` patterns match. */
  access_name: string;
  /** Whether the server's `tools` allowlist exposes it (false: no caller sees it). */
  exposed: boolean;
  description?: string;
}

export const mcpApi = {
  clients: async () => (await apiRequest<{ clients: McpUpstreamStatus[] }>('GET', '/api/mcp/clients')).clients,
  tools: (id: string) => apiRequest<{ id: string; state: string; tools: McpTool[] }>('GET', `/api/mcp/clients/${encode(id)}/tools`),
  reconnect: (id: string) => apiRequest<McpUpstreamStatus>('POST', `/api/mcp/clients/${encode(id)}/reconnect`),
  create: (server: NewMcpServer) => apiRequest<McpUpstreamStatus>('POST', '/api/mcp/clients', server),
  remove: (id: string) => apiRequest<{ id: string; deleted: boolean }>('DELETE', `/api/mcp/clients/${encode(id)}`),
};

// Settings

export interface SettingValues {
  cors_allowed_origins: string[];
  cors_allowed_headers: '*' | string[];
  enforce_auth_on_inference: boolean;
  request_logging: boolean;
  log_content: boolean;
  log_retention_days: number;
}

export type SettingName = keyof SettingValues;

export interface SettingsView {
  settings: SettingValues;
  sources: Record<SettingName, 'config' | 'api'>;
  config: SettingValues;
  default_cors_headers: string[];
}

export type SettingsPatch = { [Name in SettingName]?: SettingValues[Name] | null };

export const settingsApi = {
  get: () => apiRequest<SettingsView>('GET', '/api/settings'),
  update: (patch: SettingsPatch) => apiRequest<SettingsView>('PUT', '/api/settings', patch),
};
