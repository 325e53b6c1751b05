import { Type, type Static, type TNull, type TOptional, type TProperties, type TSchema, type TUnion } from '@sinclair/typebox';
import { ProviderConfigSchema, ProviderKeyConfigSchema } from '../config/config-schema.js';
import { BudgetConfigSchema, RateLimitConfigSchema } from '../governance/governance-config-schema.js';
import { REQUEST_KINDS } from '../routing/classify-claude-code-request.js';
import { FallbackChainSchema, RoutingRuleConfigSchema } from '../routing/routing-config-schema.js';
import type {
  PublicBudget,
  PublicCustomer,
  PublicProvider,
  PublicProviderKey,
  PublicRateLimit,
  PublicTeam,
  PublicVirtualKey,
} from '../governance/public-views.js';
import { ADMIN_USERNAME_PATTERN } from './admin-config-schema.js';

/**
 * The admin API's request and response bodies as JSON Schemas (TypeBox). The same objects validate
 * request bodies (Ajv) and make the OpenAPI 3.1 document (`openapi-document.ts`), so the two cannot
 * drift. Response schemas mirror `governance/public-views.ts`; the type checks at the bottom fail
 * the build when they stop matching.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Timestamp = Nullable(Type.String({ description: 'ISO 8601 time (UTC), or null.' }));

/** Customer, team and virtual key names: usable in URLs in place of ids. */
export const ENTITY_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$';
const EntityName = Type.String({ pattern: ENTITY_NAME_PATTERN, description: '1–128 letters, digits, ".", "_", "@", "-"; unique; usable in URLs in place of the id.' });
/** Provider instance names, as in the config file's `providers` keys. */
const ProviderName = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$', maxLength: 64, description: 'Instance name: the `provider/` prefix of model names.' });
const Reference = (what: string) => Type.String({ minLength: 1, maxLength: 256, description: `The ${what}'s id or name.` });
const Patterns = (description: string) => Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 1000, description });
const IsoTime = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$',
  description: 'ISO 8601 time with a time zone (2027-01-01T00:00:00Z).',
});
const OwnerType = Type.Union([Type.Literal('customer'), Type.Literal('team'), Type.Literal('virtual_key')], { description: 'What the budget or limit hangs on.' });

// Errors

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String({
        description: 'invalid_request_error, authentication_error, permission_error, not_found_error, conflict_error, rate_limit_error, request_too_large, api_error',
      }),
      param: Nullable(Type.String({ description: 'The request field at fault (`budgets.0.limit_usd`), when there is one.' })),
      code: Nullable(Type.String({ description: 'Machine-readable reason: validation_failed, unauthorized, forbidden, not_found, conflict, …' })),
    }),
  },
  { description: 'Every admin API error.' },
);

// Responses (mirror public-views.ts)

export const CustomerSchema = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp, updated_at: Timestamp });

export const TeamSchema = Type.Object({ id: Type.String(), name: Type.String(), customer_id: Nullable(Type.String()), created_at: Timestamp, updated_at: Timestamp });

export const VirtualKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    key_prefix: Type.String({ description: '`hk-xxxx…`: recognises the key, cannot be used as one.' }),
    state: Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('revoked'), Type.Literal('expired')]),
    team_id: Nullable(Type.String()),
    customer_id: Nullable(Type.String()),
    active: Type.Boolean(),
    expires_at: Timestamp,
    revoked_at: Timestamp,
    allowed_providers: Type.Array(Type.String()),
    allowed_models: Type.Array(Type.String()),
    allowed_provider_keys: Type.Array(Type.String()),
    log_content: Type.Boolean(),
    mcp_tools: Nullable(Type.Array(Type.String())),
    fallbacks: Type.Array(Type.String(), { description: 'Fallback chain: tried after the request\'s and the matching rule\'s fallbacks.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'A virtual key, never its secret or the secret\'s hash.' },
);

export const ProviderKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    value_hint: Type.String({ description: 'At most the first and last 4 characters (`sk-p…9xQz`), `****` for short values.' }),
    weight: Type.Number(),
    models: Type.Array(Type.String()),
    deployments: Type.Record(Type.String(), Type.String()),
    option_names: Type.Array(Type.String(), { description: 'Names of key-kind-specific settings; values are not shown.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'A provider key, masked.' },
);

export const ProviderSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    type: Type.String(),
    base_url: Nullable(Type.String()),
    headers: Type.Record(Type.String(), Type.String(), { description: 'Header names with masked values.' }),
    models: Type.Array(Type.String()),
    max_output_tokens: Nullable(Type.Number()),
    timeouts: Type.Object({ connect_ms: Nullable(Type.Number()), first_byte_ms: Nullable(Type.Number()), idle_ms: Nullable(Type.Number()) }),
    option_names: Type.Array(Type.String(), { description: 'Names of provider-kind-specific settings; values are not shown.' }),
    deployments: Type.Record(Type.String(), Type.String(), { description: 'Model name → deployment for every key (the `deployments` setting); keys may override.' }),
    keys: Type.Array(ProviderKeySchema),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'A provider instance, secrets masked.' },
);

export const BudgetCurrentSchema = Type.Object(
  {
    window_start: Timestamp,
    window_end: Timestamp,
    spent_usd: Type.Number(),
    reserved_usd: Type.Number({ description: 'Held by requests in progress.' }),
    remaining_usd: Type.Number(),
  },
  { description: 'The budget\'s current window.' },
);

export const BudgetSchema = Type.Object({
  id: Type.String(),
  owner_type: Type.String(),
  owner_id: Type.String(),
  limit_usd: Type.Number(),
  period: Type.String(),
  alignment: Type.String(),
  anchor_at: Timestamp,
  current: Type.Optional(BudgetCurrentSchema),
});

export const RateLimitSchema = Type.Object({
  id: Type.String(),
  owner_type: Type.String(),
  owner_id: Type.String(),
  provider: Type.String({ description: '`*` for all providers together, or one instance name.' }),
  window: Type.String(),
  requests: Nullable(Type.Number()),
  tokens: Nullable(Type.Number()),
});

export const CreatedVirtualKeySchema = Type.Object(
  {
    virtual_key: VirtualKeySchema,
    secret: Type.String({ description: 'The `hk-…` key. Shown in this response only; Heimdall keeps its SHA-256.' }),
    budgets: Type.Array(BudgetSchema),
    rate_limits: Type.Array(RateLimitSchema),
  },
  { description: 'A key just created or rotated, with its secret (the only time it is shown).' },
);

export const UsageTotalsSchema = Type.Object({
  from: Type.String(),
  to: Type.String(),
  owner_type: Nullable(Type.String()),
  owner_id: Nullable(Type.String()),
  requests: Type.Number(),
  input_tokens: Type.Number({ description: 'Excluding prompt-cache reads and writes.' }),
  output_tokens: Type.Number(),
  cache_read_tokens: Type.Number(),
  cache_write_tokens: Type.Number(),
  cost_usd: Type.Number(),
});

export const AdminUserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_login_at: Timestamp,
});

export const SessionSchema = Type.Object({
  authenticated: Type.Boolean(),
  principal: Nullable(
    Type.Object({
      kind: Type.Union([Type.Literal('token'), Type.Literal('session'), Type.Literal('loopback')]),
      user_id: Nullable(Type.String()),
      username: Nullable(Type.String()),
    }),
  ),
  expires_at: Timestamp,
});

export const LoginResultSchema = Type.Object({ user: AdminUserSchema, expires_at: Type.String() });

/** `{ "data": [...] }`, the shape of every list. */
export function listOf<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item) });
}

// Requests

const BudgetSpec = BudgetConfigSchema;
const RateLimitSpec = RateLimitConfigSchema;

export const CustomerCreateSchema = Type.Object({ name: EntityName }, { additionalProperties: false });
export const CustomerUpdateSchema = Type.Object({ name: Type.Optional(EntityName) }, { additionalProperties: false });

export const TeamCreateSchema = Type.Object({ name: EntityName, customer_id: Type.Optional(Reference('customer')) }, { additionalProperties: false });
export const TeamUpdateSchema = Type.Object(
  { name: Type.Optional(EntityName), customer_id: Type.Optional(Nullable(Reference('customer'))) },
  { additionalProperties: false, description: '`customer_id: null` detaches the team from its customer.' },
);

const VirtualKeyFallbacks = FallbackChainSchema(
  'Fallback chain: models (provider/model or an alias) tried in order when the routed target fails, after the request\'s and the matching rule\'s fallbacks. Each must resolve to a served provider. Default [].',
);

export const VirtualKeyCreateSchema = Type.Object(
  {
    name: EntityName,
    team_id: Type.Optional(Reference('team')),
    customer_id: Type.Optional(Reference('customer')),
    active: Type.Optional(Type.Boolean({ description: 'Default true.' })),
    expires_at: Type.Optional(Nullable(IsoTime)),
    allowed_providers: Type.Optional(Patterns('Provider instance names or globs. Default ["*"].')),
    allowed_models: Type.Optional(Patterns('Model names or globs, bare or provider/model. Default ["*"].')),
    allowed_provider_keys: Type.Optional(Patterns('Provider key names or globs. Default ["*"].')),
    log_content: Type.Optional(Type.Boolean({ description: 'Whether the request log may store prompts and completions. Default false.' })),
    mcp_tools: Type.Optional(Patterns('MCP tools the key may call; absent = not restricted.')),
    fallbacks: Type.Optional(VirtualKeyFallbacks),
    budgets: Type.Optional(Type.Array(BudgetSpec, { maxItems: 6, description: 'Budgets of the key, at most one per period.' })),
    rate_limits: Type.Optional(Type.Array(RateLimitSpec, { maxItems: 50, description: 'Rate limits of the key.' })),
  },
  { additionalProperties: false, description: 'A new virtual key; its `hk-…` secret is generated and returned once. Give team_id or customer_id, or neither.' },
);

export const VirtualKeyUpdateSchema = Type.Object(
  {
    name: Type.Optional(EntityName),
    team_id: Type.Optional(Nullable(Reference('team'))),
    customer_id: Type.Optional(Nullable(Reference('customer'))),
    active: Type.Optional(Type.Boolean()),
    expires_at: Type.Optional(Nullable(IsoTime)),
    allowed_providers: Type.Optional(Patterns('Provider instance names or globs.')),
    allowed_models: Type.Optional(Patterns('Model names or globs.')),
    allowed_provider_keys: Type.Optional(Patterns('Provider key names or globs.')),
    log_content: Type.Optional(Type.Boolean()),
    mcp_tools: Type.Optional(Nullable(Patterns('MCP tools the key may call; null = not restricted.'))),
    fallbacks: Type.Optional(VirtualKeyFallbacks),
  },
  { additionalProperties: false, description: 'Fields to change; null clears an optional one.' },
);

/** Provider fields stored as columns; every other field of a provider entry is a kind-specific option. */
export const PROVIDER_COMMON_FIELDS = ['type', 'base_url', 'keys', 'headers', 'models', 'max_output_tokens', 'timeouts'] as const;
/** Provider key fields stored as columns; every other field of a key entry is a key-kind-specific option. */
export const PROVIDER_KEY_COMMON_FIELDS = ['name', 'value', 'weight', 'models', 'deployments'] as const;

/** Every property optional and nullable (`null` removes a kind-specific setting). */
function optionalNullable<Properties extends TProperties>(properties: Properties): { [Name in keyof Properties]: TOptional<TUnion<[Properties[Name], TNull]>> } {
  const result: TProperties = {};
  for (const [name, schema] of Object.entries(properties)) result[name] = Type.Optional(Nullable(schema));
  return result as { [Name in keyof Properties]: TOptional<TUnion<[Properties[Name], TNull]>> };
}

export const ProviderCreateSchema = Type.Object(
  { name: ProviderName, ...ProviderConfigSchema.properties },
  { additionalProperties: false, description: 'A provider instance: the shape of a config file `providers.<name>` entry, plus its name. Secrets are given as values (or "env.NAME", read from the gateway\'s environment when providers load).' },
);

const {
  keys: _providerKeys,
  type: providerType,
  base_url: providerBaseUrl,
  headers: providerHeaders,
  models: providerModels,
  max_output_tokens: providerMaxOutputTokens,
  timeouts: providerTimeouts,
  ...providerKindOptions
} = ProviderConfigSchema.properties;
void _providerKeys;
export const ProviderUpdateSchema = Type.Object(
  {
    name: Type.Optional(ProviderName),
    type: providerType,
    base_url: Type.Optional(Nullable(providerBaseUrl)),
    headers: providerHeaders,
    models: providerModels,
    max_output_tokens: Type.Optional(Nullable(providerMaxOutputTokens)),
    timeouts: providerTimeouts,
    ...optionalNullable(providerKindOptions),
  },
  {
    additionalProperties: false,
    description: 'Fields to change (keys are managed under /keys); null clears an optional field. `headers` and `timeouts` replace the current ones.',
  },
);

const ProviderKeyName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$', description: 'A label, unique in the provider; never the secret.' });

export const ProviderKeyCreateSchema = Type.Object(
  { ...ProviderKeyConfigSchema.properties, name: ProviderKeyName },
  { additionalProperties: false, description: 'A provider key: the shape of a config file key entry, with a name.' },
);

const {
  name: _keyName,
  value: keyValue,
  weight: keyWeight,
  models: keyModels,
  deployments: keyDeployments,
  ...keyKindOptions
} = ProviderKeyConfigSchema.properties;
void _keyName;
export const ProviderKeyUpdateSchema = Type.Object(
  {
    name: Type.Optional(ProviderKeyName),
    value: Type.Optional(keyValue),
    weight: keyWeight,
    models: keyModels,
    deployments: keyDeployments,
    ...optionalNullable(keyKindOptions),
  },
  { additionalProperties: false, description: 'Fields to change; null removes a key-kind-specific setting.' },
);

export const BudgetCreateSchema = Type.Object(
  { owner_type: OwnerType, owner_id: Reference('owner'), ...BudgetConfigSchema.properties },
  { additionalProperties: false, description: 'A USD budget per period on a customer, team or virtual key (one per owner and period).' },
);

export const BudgetUpdateSchema = Type.Object(
  {
    limit_usd: Type.Optional(BudgetConfigSchema.properties.limit_usd),
    period: Type.Optional(BudgetConfigSchema.properties.period),
    alignment: BudgetConfigSchema.properties.alignment,
  },
  { additionalProperties: false, description: 'A new limit applies at once; a new period or alignment starts a new window.' },
);

export const RateLimitCreateSchema = Type.Object(
  { owner_type: OwnerType, owner_id: Reference('owner'), ...RateLimitConfigSchema.properties },
  { additionalProperties: false, description: 'Requests and/or tokens per window, for all providers (default) or one.' },
);

export const RateLimitUpdateSchema = Type.Object(
  {
    requests: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  },
  { additionalProperties: false, description: 'New limits (window and scope identify the limit); null removes one, at least one must remain.' },
);

export const AdminUserCreateSchema = Type.Object(
  { username: Type.String({ pattern: ADMIN_USERNAME_PATTERN }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false, description: 'A dashboard user; the password (at least 12 characters) is stored as a scrypt hash.' },
);

export const AdminUserUpdateSchema = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false, description: 'A new password; every session of the user ends.' },
);

export const LoginSchema = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

// Routing (src/routing)

/** A rule as saved through `POST /api/routing/rules` (the config file's rule shape). */
export const RoutingRuleCreateSchema = RoutingRuleConfigSchema;

const RuleScopeView = Type.Object({
  type: Type.Union([Type.Literal('global'), Type.Literal('virtual_key'), Type.Literal('team'), Type.Literal('customer')]),
  id: Type.Optional(Type.String()),
});

export const RoutingRuleSchema = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  expression: Type.String(),
  scope: RuleScopeView,
  priority: Type.Number(),
  targets: Type.Array(Type.Object({ provider: Type.String(), model: Type.String(), key: Type.Optional(Type.String()), weight: Type.Number() })),
  fallbacks: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  source: Type.Union([Type.Literal('config'), Type.Literal('api')], { description: 'config: from the config file, read-only here; api: saved through this API.' }),
  loaded: Type.Boolean({ description: 'Whether the rule is in force; a stored rule whose provider is gone is kept but not loaded.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const ExpressionPositionView = Type.Object({ line: Type.Integer(), column: Type.Integer(), offset: Type.Integer() });

export const RoutingRuleValidationSchema = Type.Object({
  valid: Type.Boolean(),
  problems: Type.Array(
    Type.Object({ field: Type.String({ description: 'expression, targets.0.provider, …' }), message: Type.String(), position: Type.Optional(ExpressionPositionView) }),
  ),
});

export const RoutingExplainRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'The model as a client would send it.' }),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Request headers (names are compared lower-case).' })),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Top-level body parameters (max_tokens, stream, …).' })),
    virtual_key_id: Type.Optional(Reference('virtual key')),
    request_kind: Type.Optional(Type.Union(REQUEST_KINDS.map((kind) => Type.Literal(kind)))),
    budget_used: Type.Optional(Type.Number({ minimum: 0, description: 'Percent of the tightest budget used. Default: as it stands for virtual_key_id, else 0.' })),
    tokens_used: Type.Optional(Type.Number({ minimum: 0, description: 'Percent of the tightest token limit used. Default: as it stands for virtual_key_id, else 0.' })),
    fallbacks: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 8, description: 'Fallbacks the request names.' })),
  },
  { additionalProperties: false },
);

const ResolvedTargetView = Type.Object({ provider: Type.String(), model: Type.String(), key: Type.Optional(Type.String()) });

export const RoutingExplanationSchema = Type.Object({
  decision: Type.Optional(
    Type.Object({
      source: Type.Union([Type.Literal('rule'), Type.Literal('alias'), Type.Literal('default')]),
      route_name: Type.String({ description: 'What x-heimdall-route would say.' }),
      rule: Type.Optional(Type.Object({ name: Type.String(), scope: RuleScopeView, priority: Type.Number() })),
      alias: Type.Optional(Type.String()),
      requested_model: Type.String(),
      target: ResolvedTargetView,
      fallbacks: Type.Array(ResolvedTargetView),
      request_kind: Type.Optional(Type.String()),
    }),
  ),
  error: Type.Optional(Type.String({ description: 'Why no decision could be made (an unknown model, …).' })),
  evaluations: Type.Array(
    Type.Object({
      rule: Type.String(),
      scope: RuleScopeView,
      priority: Type.Number(),
      outcome: Type.Union(['matched', 'no-match', 'error', 'not-evaluated', 'out-of-scope', 'disabled'].map((outcome) => Type.Literal(outcome))),
      error: Type.Optional(Type.String()),
    }),
  ),
});

export const RoutingAliasSchema = Type.Object({
  name: Type.String({ description: 'The made-up model name clients send (`sonnet-model`).' }),
  target: Type.String({ description: 'The model it stands for: provider/model or a configured model name.' }),
  source: Type.Union([Type.Literal('config'), Type.Literal('api')], { description: 'config: from the config file, read-only here; api: saved through this API.' }),
  loaded: Type.Boolean({ description: 'Whether the alias is in force; a stored alias whose provider is gone is kept but not loaded.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const RoutingAliasesSchema = Type.Object({
  data: Type.Record(Type.String(), Type.String(), { description: 'The aliases in force: alias → model reference.' }),
  aliases: Type.Array(RoutingAliasSchema, { description: 'Every alias (config, then saved), by name, with where it comes from and whether it is in force.' }),
});

export const RoutingAliasPutSchema = Type.Object(
  { target: Type.String({ minLength: 1, maxLength: 300, pattern: '^\\S+$', description: 'The model the alias stands for: provider/model or a configured model name (not another alias).' }) },
  { additionalProperties: false },
);

/** Every named schema, for the OpenAPI document's `components.schemas`. */
export const NAMED_SCHEMAS: Record<string, TSchema> = {
  Error: ErrorSchema,
  Customer: CustomerSchema,
  CustomerCreate: CustomerCreateSchema,
  CustomerUpdate: CustomerUpdateSchema,
  Team: TeamSchema,
  TeamCreate: TeamCreateSchema,
  TeamUpdate: TeamUpdateSchema,
  VirtualKey: VirtualKeySchema,
  CreatedVirtualKey: CreatedVirtualKeySchema,
  VirtualKeyCreate: VirtualKeyCreateSchema,
  VirtualKeyUpdate: VirtualKeyUpdateSchema,
  Provider: ProviderSchema,
  ProviderCreate: ProviderCreateSchema,
  ProviderUpdate: ProviderUpdateSchema,
  ProviderKey: ProviderKeySchema,
  ProviderKeyCreate: ProviderKeyCreateSchema,
  ProviderKeyUpdate: ProviderKeyUpdateSchema,
  Budget: BudgetSchema,
  BudgetCurrent: BudgetCurrentSchema,
  BudgetCreate: BudgetCreateSchema,
  BudgetUpdate: BudgetUpdateSchema,
  RateLimit: RateLimitSchema,
  RateLimitCreate: RateLimitCreateSchema,
  RateLimitUpdate: RateLimitUpdateSchema,
  UsageTotals: UsageTotalsSchema,
  AdminUser: AdminUserSchema,
  AdminUserCreate: AdminUserCreateSchema,
  AdminUserUpdate: AdminUserUpdateSchema,
  Login: LoginSchema,
  LoginResult: LoginResultSchema,
  Session: SessionSchema,
  RoutingRule: RoutingRuleSchema,
  RoutingRuleCreate: RoutingRuleCreateSchema,
  RoutingRuleValidation: RoutingRuleValidationSchema,
  RoutingExplainRequest: RoutingExplainRequestSchema,
  RoutingExplanation: RoutingExplanationSchema,
  RoutingAlias: RoutingAliasSchema,
  RoutingAliasPut: RoutingAliasPutSchema,
};

// The response schemas must describe exactly what public-views.ts returns.
type Equal<Left, Right> = (<T>() => T extends Left ? 1 : 2) extends <T>() => T extends Right ? 1 : 2 ? true : false;
type Assert<Condition extends true> = Condition;
/** Compile-time checks (no runtime value): each response schema's type equals its public view. */
export type PublicViewSchemaChecks = [
  Assert<Equal<Static<typeof CustomerSchema>, PublicCustomer>>,
  Assert<Equal<Static<typeof TeamSchema>, PublicTeam>>,
  Assert<Equal<Static<typeof VirtualKeySchema>, PublicVirtualKey>>,
  Assert<Equal<Static<typeof ProviderKeySchema>, PublicProviderKey>>,
  Assert<Equal<Static<typeof ProviderSchema>, PublicProvider>>,
  Assert<Equal<Static<typeof BudgetSchema>, PublicBudget>>,
  Assert<Equal<Static<typeof RateLimitSchema>, PublicRateLimit>>,
];
