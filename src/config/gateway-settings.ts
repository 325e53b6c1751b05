import type { ProviderInstance, ProviderKey, ProviderTimeouts } from '../providers/provider.js';
import { providerRegistry } from '../providers/registry.js';
import type { HeimdallConfig, ProviderConfig } from './config-schema.js';
import { ConfigError, resolveSecret } from './load-config.js';
import { buildMcpSettings, type McpSettings } from '../mcp/mcp-settings.js';
import { buildRoutingRuntime } from '../routing/build-routing-runtime.js';
import type { RoutingRuntime } from '../routing/routing-runtime.js';
import { buildObservabilitySettings, type ObservabilitySettings } from '../observability/observability-settings.js';
import { priceOverridesFromConfig } from '../governance/start-governance.js';

/** CORS request headers allowed by default: what browsers and Anthropic's SDK send. */
export const DEFAULT_CORS_ALLOWED_HEADERS = ['Content-Type', 'Authorization', 'X-Requested-With', 'X-Stainless-Timeout', 'X-Api-Key'];

/** Runtime settings built from the config file (or the environment when there is none). */
export interface GatewaySettings {
  port: number;
  host: string;
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  cors: {
    allowedOrigins: string[];
    /** Allowed request headers (lower-case), or `*` for any. */
    allowedHeaders: '*' | string[];
  };
  /** Configured providers by instance name (the `provider/` prefix of model names). */
  providers: Map<string, ProviderInstance>;
  /** The MCP gateway (`mcp` and `admin` config sections; see src/mcp). */
  mcp: McpSettings;
  /** Routing rules, aliases, retries, key health, stream keep-alive (`routing` and `aliases` config sections; see src/routing). */
  routing?: RoutingRuntime;
  /** Request log, metrics and traces (`logging` and `telemetry` config sections; see src/observability). */
  observability?: ObservabilitySettings;
}

const DEFAULT_TIMEOUTS: ProviderTimeouts = { connectMs: 10_000, firstByteMs: 600_000, idleMs: 300_000 };

function buildInstance(name: string, config: ProviderConfig, environment: NodeJS.ProcessEnv): ProviderInstance {
  const kind = config.type ?? name;
  const definition = providerRegistry.get(kind);
  const field = `providers.${name}`;
  if (definition === undefined) {
    throw new ConfigError(`${field}.type: unknown provider kind '${kind}'; known kinds: ${[...providerRegistry.keys()].sort().join(', ')}`);
  }
  const baseUrl = (config.base_url ?? definition.defaultBaseUrl)?.replace(/\/+$/, '');
  if (baseUrl === undefined) throw new ConfigError(`${field}.base_url: required for provider kind '${kind}'`);
  const keys: ProviderKey[] = (config.keys ?? []).map((key, index) => ({
    id: key.name ?? `${name}-key-${index + 1}`,
    value: resolveSecret(key.value, `${field}.keys.${index}.value`, environment),
    weight: key.weight ?? 1,
    models: key.models ?? ['*'],
    ...(key.deployments === undefined ? {} : { deployments: key.deployments }),
    ...(key.access_key_id === undefined ? {} : { accessKeyId: resolveSecret(key.access_key_id, `${field}.keys.${index}.access_key_id`, environment) }),
    ...(key.session_token === undefined ? {} : { sessionToken: resolveSecret(key.session_token, `${field}.keys.${index}.session_token`, environment) }),
  }));
  if (keys.length === 0 && definition.requiresKey && kind !== 'anthropic') {
    throw new ConfigError(`${field}.keys: provider kind '${kind}' needs at least one key`);
  }
  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(config.headers ?? {})) {
    headers[header.toLowerCase()] = resolveSecret(value, `${field}.headers.${header}`, environment);
  }
  return {
    name,
    definition,
    baseUrl,
    keys,
    headers,
    models: config.models ?? Object.keys(config.deployments ?? {}),
    maxOutputTokens: config.max_output_tokens,
    timeouts: {
      connectMs: config.timeouts?.connect_ms ?? DEFAULT_TIMEOUTS.connectMs,
      firstByteMs: config.timeouts?.first_byte_ms ?? DEFAULT_TIMEOUTS.firstByteMs,
      idleMs: config.timeouts?.idle_ms ?? DEFAULT_TIMEOUTS.idleMs,
    },
    ...(config.deployments === undefined ? {} : { deployments: config.deployments }),
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.aws === undefined ? {} : { aws: { credentialChain: config.aws.credential_chain ?? false, profile: config.aws.profile } }),
    ...(config.api_version === undefined ? {} : { apiVersion: config.api_version }),
    ...(config.google_cloud === undefined
      ? {}
      : {
          googleCloud: {
            project: config.google_cloud.project,
            credentialsFile: config.google_cloud.credentials_file,
            credentialsJson:
              config.google_cloud.credentials === undefined
                ? undefined
                : resolveSecret(config.google_cloud.credentials, `${field}.google_cloud.credentials`, environment),
          },
        }),
    ...(config.entra === undefined
      ? {}
      : {
          entra: {
            tenantId: config.entra.tenant_id,
            clientId: config.entra.client_id,
            clientSecret: resolveSecret(config.entra.client_secret, `${field}.entra.client_secret`, environment),
            scope: config.entra.scope,
            authorityHost: config.entra.authority_host,
          },
        }),
  };
}

/**
 * Providers for the zero-config start: every registered provider whose standard API key variable
 * is set (`OPENAI_API_KEY`, `GROQ_API_KEY`, `GEMINI_API_KEY` or else `GOOGLE_API_KEY`, …), plus Anthropic always (with `ANTHROPIC_API_KEY`
 * when set; otherwise it forwards the caller's own Anthropic credential).
 */
export function providerConfigsFromEnvironment(environment: NodeJS.ProcessEnv): Record<string, ProviderConfig> {
  const providers: Record<string, ProviderConfig> = {};
  for (const definition of providerRegistry.values()) {
    if (definition.apiKeyEnvironmentVariable === undefined || definition.defaultBaseUrl === undefined) continue;
    const variable = [definition.apiKeyEnvironmentVariable, ...(definition.alternativeApiKeyEnvironmentVariables ?? [])].find(
      (name) => environment[name] !== undefined && environment[name] !== '',
    );
    if (variable !== undefined) providers[definition.kind] = { keys: [{ value: `env.${variable}` }] };
  }
  if (providers.anthropic === undefined && providerRegistry.has('anthropic')) providers.anthropic = {};
  return providers;
}

/**
 * Builds runtime settings from a validated config.
 * @throws ConfigError naming the field (unknown provider kind, missing base URL, unset env var)
 */
export function buildGatewaySettings(config: HeimdallConfig, environment: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const providerConfigs = config.providers ?? providerConfigsFromEnvironment(environment);
  const providers = new Map<string, ProviderInstance>();
  for (const [name, providerConfig] of Object.entries(providerConfigs)) {
    providers.set(name, buildInstance(name, providerConfig, environment));
  }
  const allowedHeadersConfig = config.server?.cors?.allowed_headers;
  return {
    port: config.server?.port ?? 8080,
    host: config.server?.host ?? '127.0.0.1',
    maxBodyBytes: config.server?.max_body_bytes ?? 32 * 1024 * 1024,
    cors: {
      allowedOrigins: config.server?.cors?.allowed_origins ?? ['*'],
      allowedHeaders:
        allowedHeadersConfig === '*'
          ? '*'
          : [...new Set([...DEFAULT_CORS_ALLOWED_HEADERS, ...(allowedHeadersConfig ?? [])].map((header) => header.toLowerCase()))],
    },
    providers,
    mcp: buildMcpSettings(config.mcp, config.admin, environment),
    routing: buildRoutingRuntime(providers, config.routing, config.aliases),
    observability: buildObservabilitySettings(config.logging, config.telemetry, environment, priceOverridesFromConfig(config)),
  };
}
