import { Type } from '@sinclair/typebox';
import { buildGatewaySettings } from '../../config/gateway-settings.js';
import { ConfigError } from '../../config/load-config.js';
import { providerConfigFromRecord } from '../../governance/start-governance.js';
import type { ProviderInstance } from '../../providers/provider.js';
import { providerRegistry } from '../../providers/registry.js';
import { AdminApiError } from '../admin-api-errors.js';
import { listOf } from '../admin-api-schemas.js';
import { findProvider } from '../admin-references.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../admin-router.js';
import { testProviderConnection } from '../test-provider-connection.js';

/**
 * What the dashboard's Providers page needs beyond the provider CRUD of `provider-routes.ts`:
 * `POST /api/providers/{name}/test` (one tiny request through a key, see
 * `test-provider-connection.ts`) and `GET /api/provider-kinds` (the registry, for the "add a
 * provider" form).
 */

const ProviderTestRequestSchema = Type.Object(
  {
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: "The key's name; default the provider's first key." })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: "The model as a caller names it (without the provider prefix); default the key's or the provider's first listed model." })),
  },
  { additionalProperties: false, description: 'Which key and model to test.' },
);

const ProviderTestResultSchema = Type.Object(
  {
    ok: Type.Boolean({ description: 'The upstream answered with a success status.' }),
    status: Type.Union([Type.Integer(), Type.Null()], { description: "The upstream's HTTP status; null when it could not be reached." }),
    latency_ms: Type.Number({ description: 'Time to the complete answer, ms.' }),
    provider: Type.String(),
    key: Type.Union([Type.String(), Type.Null()]),
    model: Type.String(),
    path: Type.Union([Type.Literal('messages'), Type.Literal('chat')], { description: 'Anthropic passthrough or the translating client.' }),
    output_text: Type.Optional(Type.String({ description: 'What the model answered (ok only).' })),
    error: Type.Optional(Type.String({ description: "What went wrong, from the upstream's error body when there is one." })),
  },
  { description: 'The outcome of a provider test; an upstream failure is a result, not an error of this API.' },
);

const ProviderKindSchema = Type.Object({
  kind: Type.String(),
  display_name: Type.String(),
  default_base_url: Type.Union([Type.String(), Type.Null()], { description: 'Null when the provider needs a base URL.' }),
  requires_key: Type.Boolean(),
  api_key_variable: Type.Union([Type.String(), Type.Null()], { description: 'The environment variable of the zero-config start.' }),
});

/**
 * The instance to test: the served one of that name (stored, or zero-config from the environment),
 * else the stored provider built on its own (one the gateway left out because it does not load).
 * @throws AdminApiError 404 when there is neither, 400 when the stored one does not load
 */
async function instanceToTest(name: string, services: AdminServices): Promise<ProviderInstance> {
  const servedByName = services.servedProviders?.instance(name);
  if (servedByName !== undefined) return servedByName;
  // `name` may be the stored provider's id.
  const record = await findProvider(services.governance.store, name);
  const served = services.servedProviders?.instance(record.name);
  if (served !== undefined) return served;
  try {
    const settings = buildGatewaySettings({ providers: { [record.name]: providerConfigFromRecord(record) } }, services.environment);
    const instance = settings.providers.get(record.name);
    if (instance !== undefined) return instance;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new AdminApiError(400, 'invalid_request_error', `provider '${record.name}' does not load: ${error.message}`, { code: 'provider_not_loadable' });
  }
  throw new AdminApiError(404, 'not_found_error', `provider '${name}' does not exist`, { code: 'not_found' });
}

export const providerTestRoutes: AdminRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/api/providers/{name}/test',
    operationId: 'testProvider',
    summary: 'Send a one-token request through a provider key',
    description:
      "Sends `max_tokens: 1` and one short user message to the provider with its own client (the Anthropic passthrough, or the translating client), through the chosen key, and reports the upstream's status, the latency and the answer or the upstream's error. Not routed, governed or logged.",
    tag: 'providers',
    body: ProviderTestRequestSchema,
    success: { status: 200, description: 'The outcome (also when the upstream failed).', schema: ProviderTestResultSchema },
    errors: [404],
    handler: async ({ params, body, services }) => {
      const instance = await instanceToTest(params.name, services);
      return { status: 200, body: await testProviderConnection(instance, { ...(body.key === undefined ? {} : { key: body.key }), ...(body.model === undefined ? {} : { model: body.model }) }) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/provider-kinds',
    operationId: 'listProviderKinds',
    summary: 'The provider kinds this gateway knows (the `type` of a provider)',
    tag: 'providers',
    success: { status: 200, description: 'Every kind, by name.', schema: listOf(ProviderKindSchema) },
    handler: async () => ({
      status: 200,
      body: {
        data: [...providerRegistry.values()]
          .map((definition) => ({
            kind: definition.kind,
            display_name: definition.displayName,
            default_base_url: definition.defaultBaseUrl ?? null,
            requires_key: definition.requiresKey,
            api_key_variable: definition.apiKeyEnvironmentVariable ?? null,
          }))
          .sort((left, right) => left.kind.localeCompare(right.kind)),
      },
    }),
  }),
];
