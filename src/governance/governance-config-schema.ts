import { Type, type Static } from '@sinclair/typebox';
import { FallbackChainSchema } from '../routing/routing-config-schema.js';

/**
 * The config sections of storage and governance: `storage`, `governance` and `pricing`. Included in
 * `HeimdallConfigSchema` (`src/config/config-schema.ts`). Entries under `governance` seed the store
 * at start (see `seed-from-config.ts` for which side wins).
 */

const Patterns = (description: string) => Type.Array(Type.String({ minLength: 1 }), { description });

export const BudgetConfigSchema = Type.Object(
  {
    limit_usd: Type.Number({ minimum: 0, description: 'Most that may be spent per period, USD.' }),
    period: Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d'), Type.Literal('1w'), Type.Literal('1M'), Type.Literal('1Y')], {
      description: 'Reset period: minute, hour, day, week, month, year.',
    }),
    alignment: Type.Optional(
      Type.Union([Type.Literal('calendar'), Type.Literal('rolling')], {
        description: 'calendar (default): resets on UTC boundaries (weeks on Monday). rolling: periods counted from the budget\'s creation or last reset.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RateLimitConfigSchema = Type.Object(
  {
    requests: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests per window.' })),
    tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Tokens per window (input + cache writes + output).' })),
    window: Type.String({ pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$', description: 'Window length: 10s, 1m, 1h, 1d, …' }),
    provider: Type.Optional(Type.String({ minLength: 1, description: 'Limit only requests to this provider instance; default: all providers together.' })),
  },
  { additionalProperties: false },
);

const Budgets = Type.Optional(Type.Array(BudgetConfigSchema, { description: 'Budgets, at most one per period.' }));
const RateLimits = Type.Optional(Type.Array(RateLimitConfigSchema, { description: 'Rate limits, at most one per provider scope and window.' }));

export const CustomerConfigSchema = Type.Object({ budgets: Budgets, rate_limits: RateLimits }, { additionalProperties: false });

export const TeamConfigSchema = Type.Object(
  {
    customer: Type.Optional(Type.String({ minLength: 1, description: 'Name of the customer the team belongs to.' })),
    budgets: Budgets,
    rate_limits: RateLimits,
  },
  { additionalProperties: false },
);

export const VirtualKeyConfigSchema = Type.Object(
  {
    value: Type.String({
      minLength: 1,
      description: 'The key callers send: "hk-" and at least 16 letters, digits, - or _; or "env.NAME". Only its SHA-256 is stored.',
    }),
    team: Type.Optional(Type.String({ minLength: 1, description: 'Name of the team the key belongs to (or give customer, or neither).' })),
    customer: Type.Optional(Type.String({ minLength: 1, description: 'Name of the customer the key belongs to directly.' })),
    active: Type.Optional(Type.Boolean({ description: 'Default true.' })),
    expires_at: Type.Optional(
      Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}', description: 'When the key stops working, ISO 8601 with a time zone (2027-01-01T00:00:00Z).' }),
    ),
    allowed_providers: Type.Optional(Patterns('Provider instance names or glob patterns. Default ["*"].')),
    allowed_models: Type.Optional(Patterns('Model names or glob patterns, bare or provider/model. Default ["*"].')),
    allowed_provider_keys: Type.Optional(Patterns('Names (or patterns) of the provider keys this key may use. Default ["*"].')),
    log_content: Type.Optional(Type.Boolean({ description: 'Whether the request log may store prompts and completions. Default false.' })),
    fallbacks: Type.Optional(
      FallbackChainSchema('Fallback chain of the key: models (provider/model or an alias) tried in order when the routed target fails, after the request\'s and the matching rule\'s fallbacks.'),
    ),
    budgets: Budgets,
    rate_limits: RateLimits,
  },
  { additionalProperties: false },
);

const EntryName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]*$' });

export const GovernanceConfigSchema = Type.Object(
  {
    enforce_auth_on_inference: Type.Optional(
      Type.Boolean({
        description: 'true: every inference request needs a valid virtual key. false (default): requests without one pass ungoverned; an invalid one is still refused.',
      }),
    ),
    auth_cache_ttl_ms: Type.Optional(
      Type.Integer({ minimum: 0, description: 'How long a virtual key lookup is reused, ms; the longest a change takes on another replica without Redis. Default 5000.' }),
    ),
    reservation_ttl_ms: Type.Optional(
      Type.Integer({ minimum: 1000, description: 'How long a budget reservation holds without settlement, ms. Default 900000 (15 min).' }),
    ),
    customers: Type.Optional(Type.Record(EntryName, CustomerConfigSchema, { description: 'Customers by name.' })),
    teams: Type.Optional(Type.Record(EntryName, TeamConfigSchema, { description: 'Teams by name.' })),
    virtual_keys: Type.Optional(Type.Record(EntryName, VirtualKeyConfigSchema, { description: 'Virtual keys by name.' })),
  },
  { additionalProperties: false },
);

export const StorageConfigSchema = Type.Object(
  {
    database_url: Type.Optional(
      Type.String({ minLength: 1, description: 'postgres://… for PostgreSQL, or "env.NAME". Default: SQLite at <app-dir>/heimdall.db (or HEIMDALL_DATABASE_URL).' }),
    ),
    redis_url: Type.Optional(
      Type.String({ minLength: 1, description: 'redis://… to share budget and rate-limit counters between replicas, or "env.NAME". Default: in memory (or HEIMDALL_REDIS_URL).' }),
    ),
    redis_key_prefix: Type.Optional(Type.String({ minLength: 1, description: 'Prefix of Heimdall\'s Redis keys. Default "heimdall:".' })),
  },
  { additionalProperties: false },
);

export const ModelPriceConfigSchema = Type.Object(
  {
    input_per_mtok: Type.Number({ minimum: 0, description: 'USD per million input tokens.' }),
    output_per_mtok: Type.Number({ minimum: 0, description: 'USD per million output tokens.' }),
    cache_read_per_mtok: Type.Optional(Type.Number({ minimum: 0, description: 'USD per million cache-read tokens. Default: the input price.' })),
    cache_write_per_mtok: Type.Optional(Type.Number({ minimum: 0, description: 'USD per million cache-write tokens. Default: the input price.' })),
  },
  { additionalProperties: false },
);

export const PricingConfigSchema = Type.Record(Type.String({ pattern: '^[^/]+/.+$' }), ModelPriceConfigSchema, {
  description: 'Price overrides by "provider/model" (provider instance name or kind), used before the bundled pricing data.',
});

export type BudgetConfig = Static<typeof BudgetConfigSchema>;
export type RateLimitConfig = Static<typeof RateLimitConfigSchema>;
export type CustomerConfig = Static<typeof CustomerConfigSchema>;
export type TeamConfig = Static<typeof TeamConfigSchema>;
export type VirtualKeyConfig = Static<typeof VirtualKeyConfigSchema>;
export type GovernanceConfig = Static<typeof GovernanceConfigSchema>;
export type StorageConfig = Static<typeof StorageConfigSchema>;
export type PricingConfig = Static<typeof PricingConfigSchema>;
