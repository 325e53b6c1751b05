import { Type, type Static } from '@sinclair/typebox';
import { GovernanceConfigSchema, PricingConfigSchema, StorageConfigSchema } from '../governance/governance-config-schema.js';
import { AdminConfigSchema } from '../admin/admin-config-schema.js';
import { McpConfigSchema } from '../mcp/mcp-config-schema.js';
import { AliasesConfigSchema, RoutingConfigSchema } from '../routing/routing-config-schema.js';
import { LoggingConfigSchema, TelemetryConfigSchema } from '../observability/observability-config-schema.js';

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

/**
 * Model → deployment pinning, shared by every provider with deployments (Bedrock inference
 * profiles and ARNs, Azure deployment names): the model name a caller types maps to the id sent
 * upstream. Set on a provider and on a key; the key's entry wins.
 */
const Deployments = Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), {
  description:
    'Model name → upstream deployment id (Bedrock model id, inference profile id or ARN; Azure deployment name). A key\'s entry wins over the provider\'s.',
});

export const ProviderKeyConfigSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: 'A label for logs; never the secret.' })),
    value: Secret,
    weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1, description: 'Relative share of traffic among keys that allow the model.' })),
    models: Type.Optional(ModelPatterns),
    deployments: Type.Optional(Deployments),
    access_key_id: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'AWS access key id (Bedrock SigV4), or "env.NAME". With it, `value` is the secret access key; without it, `value` is a Bedrock API key (Bearer).',
      }),
    ),
    session_token: Type.Optional(Type.String({ minLength: 1, description: 'AWS session token for temporary credentials (Bedrock SigV4); may be "env.NAME".' })),
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
    deployments: Type.Optional(Deployments),
    region: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$', description: 'Cloud region (Bedrock: e.g. us-east-1; default AWS_REGION, then us-east-1. Vertex AI: a location such as us-east5, or global, the default).' })),
    aws: Type.Optional(
      Type.Object(
        {
          credential_chain: Type.Optional(
            Type.Boolean({ description: 'Sign with the AWS default credential chain (env, profiles, SSO, role assumption, web identity, instance roles) instead of keys.' }),
          ),
          profile: Type.Optional(Type.String({ minLength: 1, description: 'Shared-config profile the credential chain reads.' })),
        },
        { additionalProperties: false, description: 'AWS credentials for Bedrock when no keys are given.' },
      ),
    ),
    api_version: Type.Optional(
      Type.String({ minLength: 1, description: 'Azure OpenAI api-version (e.g. 2024-10-21) for the deployments API; absent means the v1 API (/openai/v1).' }),
    ),
    google_cloud: Type.Optional(
      Type.Object(
        {
          project: Type.Optional(Type.String({ minLength: 1, description: 'Google Cloud project id (Vertex AI). Default: the project the credentials name.' })),
          credentials_file: Type.Optional(
            Type.String({ minLength: 1, description: 'Path of a service-account JSON file. Without it (and without credentials), application-default credentials are used.' }),
          ),
          credentials: Type.Optional(
            Type.String({ minLength: 1, description: 'The service-account JSON itself; usually "env.NAME".' }),
          ),
        },
        { additionalProperties: false, description: 'Google Cloud project and credentials (Vertex AI).' },
      ),
    ),
    entra: Type.Optional(
      Type.Object(
        {
          tenant_id: Type.String({ minLength: 1 }),
          client_id: Type.String({ minLength: 1 }),
          client_secret: Secret,
          scope: Type.Optional(Type.String({ minLength: 1, description: 'OAuth scope; defaults to the service\'s own (.default).' })),
          authority_host: Type.Optional(Type.String({ pattern: '^https?://', description: 'Default https://login.microsoftonline.com.' })),
        },
        { additionalProperties: false, description: 'Microsoft Entra ID client credentials (Azure) used instead of keys.' },
      ),
    ),
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
    mcp: Type.Optional(McpConfigSchema),
    admin: Type.Optional(AdminConfigSchema),
    routing: Type.Optional(RoutingConfigSchema),
    aliases: Type.Optional(AliasesConfigSchema),
    logging: Type.Optional(LoggingConfigSchema),
    telemetry: Type.Optional(TelemetryConfigSchema),
  },
  { additionalProperties: false },
);

export type HeimdallConfig = Static<typeof HeimdallConfigSchema>;
export type ProviderConfig = Static<typeof ProviderConfigSchema>;
export type ProviderKeyConfig = Static<typeof ProviderKeyConfigSchema>;
