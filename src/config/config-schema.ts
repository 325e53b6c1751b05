import { Type, type Static } from '@sinclair/typebox';
import { GovernanceConfigSchema, PricingConfigSchema, StorageConfigSchema } from '../governance/governance-config-schema.js';

/**
 * The Heimdall configuration file, as a JSON Schema (TypeBox builds both the schema and the
 * TypeScript type from one definition). `npm run schema` writes it to
 * `schema/heimdall.config.schema.json`, the published schema editors can point `$schema` at.
 *
 * Secret-bearing strings may be written `"env.NAME"` to read environment variable NAME at start.
 */

const Secret = Type.String({
  minLength: 1,
  description: 'A secret, or "env.NAME" to read it from environment variable NAME.',
});

const ModelPatterns = Type.Array(Type.String({ minLength: 1 }), {
  description: 'Model names or glob patterns ("*", "gpt-5*"). Absent means every model.',
});

export const ProviderKeyConfigSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: 'A label for logs; never the secret.' })),
    value: Secret,
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Relative share of traffic among keys that allow the model.' })),
    models: Type.Optional(ModelPatterns),
  },
  { additionalProperties: false },
);

export const TimeoutsConfigSchema = Type.Object(
  {
    connect_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'TCP/TLS connect timeout, ms. Default 10000.' })),
    first_byte_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Time until the upstream response headers arrive, ms. Default 600000.' })),
    idle_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Longest silence between two upstream body chunks, ms. Default 300000.' })),
  },
  { additionalProperties: false },
);

export const ProviderConfigSchema = Type.Object(
  {
    type: Type.Optional(
      Type.String({ minLength: 1, description: 'Provider kind (openai, groq, anthropic, vllm, …). Defaults to the entry name.' }),
    ),
    base_url: Type.Optional(Type.String({ pattern: '^https?://', description: "Override of the provider's API base URL." })),
    keys: Type.Optional(Type.Array(ProviderKeyConfigSchema, { description: 'API keys, chosen by weight among those allowing the model.' })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Extra headers sent upstream; values may be "env.NAME".' })),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Models this provider offers, listed by /anthropic/v1/models.' })),
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Cap applied to max_tokens for every model of this provider.' })),
    timeouts: Type.Optional(TimeoutsConfigSchema),
  },
  { additionalProperties: false },
);

export const HeimdallConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    server: Type.Optional(
      Type.Object(
        {
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: 8080 })),
          host: Type.Optional(Type.String({ minLength: 1, default: '127.0.0.1' })),
          max_body_bytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'Largest request body accepted, bytes. Default 32 MiB.' })),
          cors: Type.Optional(
            Type.Object(
              {
                allowed_origins: Type.Optional(Type.Array(Type.String(), { description: 'Origins allowed, or ["*"]. Default ["*"].' })),
                allowed_headers: Type.Optional(
                  Type.Union([Type.Literal('*'), Type.Array(Type.String({ minLength: 1 }))], {
                    description: 'Request headers allowed on top of the defaults, or "*" for any.',
                  }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    providers: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]*$' }), ProviderConfigSchema)),
    storage: Type.Optional(StorageConfigSchema),
    governance: Type.Optional(GovernanceConfigSchema),
    pricing: Type.Optional(PricingConfigSchema),
  },
  { additionalProperties: false },
);

export type HeimdallConfig = Static<typeof HeimdallConfigSchema>;
export type ProviderConfig = Static<typeof ProviderConfigSchema>;
export type ProviderKeyConfig = Static<typeof ProviderKeyConfigSchema>;
