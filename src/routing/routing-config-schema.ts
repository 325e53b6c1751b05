import { Type, type Static } from '@sinclair/typebox';
import { MAX_FALLBACKS, MAX_RULE_NAME_LENGTH, MAX_RULE_TARGETS } from './routing-rule.js';

/**
 * The config file's `routing` section (rules, retries, circuit breaker, stream keep-alive) and
 * its top-level `aliases`. Part of `HeimdallConfigSchema` (`src/config/config-schema.ts`).
 */

export const RoutingRuleConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_RULE_NAME_LENGTH, description: 'Unique rule name; reported in x-heimdall-route.' }),
    description: Type.Optional(Type.String()),
    expression: Type.String({
      minLength: 1,
      description:
        'CEL expression over model, provider, headers, params, virtual_key, team, customer, budget_used, tokens_used, request_kind; the rule matches when it is true. Example: model == "sonnet-model" && headers["user-agent"].startsWith("claude-cli")',
    }),
    scope: Type.Optional(
      Type.Object(
        {
          type: Type.Union([Type.Literal('global'), Type.Literal('virtual_key'), Type.Literal('team'), Type.Literal('customer')]),
          id: Type.Optional(Type.String({ minLength: 1, description: 'The virtual key, team or customer: its id or its name (not for global).' })),
        },
        { additionalProperties: false, description: 'Where the rule applies. Default global. Order: virtual_key, team, customer, global.' },
      ),
    ),
    priority: Type.Optional(Type.Integer({ default: 0, description: 'Lower runs first within a scope.' })),
    targets: Type.Array(
      Type.Object(
        {
          provider: Type.String({ minLength: 1, description: 'A configured provider name.' }),
          model: Type.String({ minLength: 1, description: 'The model as that provider knows it.' }),
          key: Type.Optional(Type.String({ minLength: 1, description: "Pins one of the provider's keys (its name) for the first attempt." })),
          weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Relative share among the targets.' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_RULE_TARGETS, description: 'Where a matching request goes, picked at random by weight.' },
    ),
    fallbacks: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { maxItems: MAX_FALLBACKS, description: 'Models (provider/model or alias) tried in order when the target fails.' }),
    ),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

/**
 * A fallback chain outside a rule (a virtual key's): model references (`provider/model` or an
 * alias) tried in order when the routed target fails.
 */
export const FallbackChainSchema = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 300, pattern: '^\\S+$' }), { maxItems: MAX_FALLBACKS, description });

export const RoutingConfigSchema = Type.Object(
  {
    rules: Type.Optional(Type.Array(RoutingRuleConfigSchema, { description: 'Routing rules (CEL). The first match wins; no match keeps the request\'s own model.' })),
    retries: Type.Optional(
      Type.Object(
        {
          max_retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Retries of the same target on network errors, 5xx and 429. Default 2.' })),
          initial_backoff_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'Backoff ceiling of the first retry, ms (doubles, full jitter). Default 250.' })),
          max_backoff_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'Largest backoff, ms. Default 4000.' })),
          max_retry_after_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'Longest upstream retry-after waited for, ms; longer moves on to the next key or fallback. Default 10000.' })),
          max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Most upstream attempts per request over all targets and keys. Default 10.' })),
        },
        { additionalProperties: false },
      ),
    ),
    circuit_breaker: Type.Optional(
      Type.Object(
        {
          failure_threshold: Type.Optional(Type.Integer({ minimum: 1, description: 'Consecutive failures that take a key (or keyless provider) out of rotation. Default 5.' })),
          cooldown_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Time out of rotation before one probe request, ms. Default 30000.' })),
        },
        { additionalProperties: false },
      ),
    ),
    stream_keepalive: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ default: true })),
          first_ping_ms: Type.Optional(Type.Integer({ minimum: 10, description: 'Wait for the first upstream token before committing 200 and sending the first ping, ms. Default 2000.' })),
          ping_interval_ms: Type.Optional(Type.Integer({ minimum: 10, description: 'Wait between pings, ms. Default 5000.' })),
        },
        { additionalProperties: false, description: 'Anthropic ping events while a streamed request waits for its first token.' },
      ),
    ),
  },
  { additionalProperties: false, description: 'Routing rules, retries, fallbacks, circuit breaker and stream keep-alive.' },
);

export const AliasesConfigSchema = Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
  description: 'Made-up model names → a model (provider/model or a configured name), e.g. {"sonnet-model": "openai/gpt-5"}.',
});

export type RoutingConfig = Static<typeof RoutingConfigSchema>;
export type RoutingRuleConfig = Static<typeof RoutingRuleConfigSchema>;
