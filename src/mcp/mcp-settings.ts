import { resolveAdminToken } from '../admin/admin-auth.js';
import { ConfigError, resolveSecret } from '../config/load-config.js';
import type { AdminConfig, McpConfig, McpServerConfig } from './mcp-config-schema.js';

/**
 * Runtime settings of the MCP gateway, built from the config's `mcp` and `admin` sections.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
 */

/** Upstream name → `*` or the upstream's own tool names. */
export type McpToolAllowlist = Readonly<Record<string, '*' | readonly string[]>>;

/** How Heimdall reaches one upstream MCP server. */
export type McpUpstreamTransportSettings =
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { kind: 'streamable-http'; url: string }
  | { kind: 'sse'; url: string };

/** OAuth client-credentials settings of an upstream. */
export interface McpUpstreamOAuthSettings {
  clientId: string;
  clientSecret: string;
  scope?: string;
}

/** Per-user OAuth (authorization code + PKCE) towards an upstream. */
export interface McpUpstreamPerUserOAuthSettings {
  /** A pre-registered client; absent = dynamic client registration. */
  clientId?: string;
  clientSecret?: string;
  scope?: string;
}

/** One upstream MCP server. */
export interface McpUpstreamSettings {
  /** The configured name: the tool prefix and the id in the admin API. */
  id: string;
  transport: McpUpstreamTransportSettings;
  /** Static headers (secrets resolved). */
  headers: Record<string, string>;
  /** Header names each caller supplies for themselves; empty when the upstream has no per-user credential. */
  perUserHeaders: string[];
  oauth?: McpUpstreamOAuthSettings;
  /** Present when each caller authorises with their own OAuth account. */
  perUserOAuth?: McpUpstreamPerUserOAuthSettings;
  /** The upstream's tools Heimdall exposes at all. */
  tools: '*' | string[];
  /** Whether tool and prompt names get the `<id>__` prefix. */
  namespace: boolean;
  enabled: boolean;
  callTimeoutMs: number;
}

/** Health-monitor timing. */
export interface McpHealthSettings {
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

export interface McpSettings {
  upstreams: McpUpstreamSettings[];
  /** Virtual key plaintext → its allowlist (the config-backed identity resolver's data). */
  access: Map<string, McpToolAllowlist>;
  /** Allowlist of callers without a known key when auth is not enforced; `*` means every tool. */
  anonymousAccess: '*' | McpToolAllowlist;
  enforceAuth: boolean;
  injectTools: boolean;
  agentMaxSteps: number;
  maxToolNameLength: number;
  /** The gateway's URL as browsers reach it (OAuth redirect URLs); undefined = from the request's Host. */
  publicUrl?: string;
  /** Host names accepted in Host/Origin as configured; undefined = the default for the bound address. */
  allowedHosts?: string[];
  health: McpHealthSettings;
  /** Admin API bearer token (`admin.token` or `HEIMDALL_ADMIN_TOKEN`); undefined = none configured. */
  adminToken?: string;
}

export const DEFAULT_MCP_HEALTH: McpHealthSettings = {
  intervalMs: 5_000,
  timeoutMs: 5_000,
  failureThreshold: 5,
  reconnectInitialMs: 1_000,
  reconnectMaxMs: 60_000,
};

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** Whether a bind address or host name is the loopback interface. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/**
 * The host names `/mcp` accepts in `Host` and `Origin` (DNS-rebinding protection): the configured
 * list, or localhost/127.0.0.1/[::1] when the gateway listens on loopback; undefined (no check)
 * when it listens on another address and none are configured.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning
 */
export function effectiveAllowedHosts(settings: McpSettings, bindHost: string): string[] | undefined {
  return settings.allowedHosts ?? (isLoopbackHost(bindHost) ? LOOPBACK_HOSTS : undefined);
}

/**
 * Builds one upstream's settings from its config entry.
 * @throws ConfigError naming the field (missing command/url, per-user headers on stdio, unset env var)
 */
export function buildMcpUpstreamSettings(id: string, config: McpServerConfig, environment: NodeJS.ProcessEnv, fieldPrefix = `mcp.servers.${id}`): McpUpstreamSettings {
  const kind = config.transport ?? (config.url !== undefined ? 'streamable-http' : 'stdio');
  let transport: McpUpstreamTransportSettings;
  if (kind === 'stdio') {
    if (config.command === undefined) throw new ConfigError(`${fieldPrefix}.command: required for the stdio transport`);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.env ?? {})) env[name] = resolveSecret(value, `${fieldPrefix}.env.${name}`, environment);
    transport = { kind, command: config.command, args: config.args ?? [], env, ...(config.cwd === undefined ? {} : { cwd: config.cwd }) };
  } else {
    if (config.url === undefined) throw new ConfigError(`${fieldPrefix}.url: required for the ${kind} transport`);
    transport = { kind, url: config.url };
  }
  if (kind === 'stdio' && (config.per_user_headers !== undefined || config.oauth !== undefined || config.per_user_oauth !== undefined || config.headers !== undefined)) {
    throw new ConfigError(`${fieldPrefix}: headers, per_user_headers, oauth and per_user_oauth need an HTTP transport (streamable-http or sse)`);
  }
  const perUserOAuth = config.per_user_oauth;
  if (perUserOAuth !== undefined && (config.oauth !== undefined || config.per_user_headers !== undefined)) {
    throw new ConfigError(`${fieldPrefix}: per_user_oauth cannot be combined with oauth or per_user_headers`);
  }
  if (perUserOAuth?.client_secret !== undefined && perUserOAuth.client_id === undefined) {
    throw new ConfigError(`${fieldPrefix}.per_user_oauth.client_secret: needs client_id`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = resolveSecret(value, `${fieldPrefix}.headers.${name}`, environment);
  return {
    id,
    transport,
    headers,
    perUserHeaders: (config.per_user_headers ?? []).map((name) => name.toLowerCase()),
    ...(config.oauth === undefined
      ? {}
      : {
          oauth: {
            clientId: config.oauth.client_id,
            clientSecret: resolveSecret(config.oauth.client_secret, `${fieldPrefix}.oauth.client_secret`, environment),
            ...(config.oauth.scope === undefined ? {} : { scope: config.oauth.scope }),
          },
        }),
    ...(perUserOAuth === undefined
      ? {}
      : {
          perUserOAuth: {
            ...(perUserOAuth.client_id === undefined ? {} : { clientId: perUserOAuth.client_id }),
            ...(perUserOAuth.client_secret === undefined ? {} : { clientSecret: resolveSecret(perUserOAuth.client_secret, `${fieldPrefix}.per_user_oauth.client_secret`, environment) }),
            ...(perUserOAuth.scope === undefined ? {} : { scope: perUserOAuth.scope }),
          },
        }),
    tools: config.tools === undefined || config.tools === '*' ? '*' : [...config.tools],
    namespace: config.namespace ?? true,
    enabled: config.enabled ?? true,
    callTimeoutMs: config.call_timeout_ms ?? 120_000,
  };
}

/**
 * Builds the MCP gateway's settings from the config's `mcp` and `admin` sections.
 * @throws ConfigError naming the bad field
 */
export function buildMcpSettings(
  mcp: McpConfig | undefined,
  admin: AdminConfig | undefined,
  environment: NodeJS.ProcessEnv,
): McpSettings {
  const upstreams = Object.entries(mcp?.servers ?? {})
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([id, config]) => buildMcpUpstreamSettings(id, config, environment));
  const access = new Map<string, McpToolAllowlist>();
  for (const [key, allowlist] of Object.entries(mcp?.access ?? {})) {
    access.set(resolveSecret(key, `mcp.access.${key.startsWith('env.') ? key : '<key>'}`, environment), allowlist);
  }
  const adminToken = resolveAdminToken(admin, environment);
  const health = mcp?.health_check;
  return {
    upstreams,
    access,
    anonymousAccess: mcp?.anonymous_access ?? '*',
    enforceAuth: mcp?.enforce_auth_on_inference ?? false,
    injectTools: mcp?.inject_tools ?? false,
    agentMaxSteps: mcp?.agent_max_steps ?? 5,
    maxToolNameLength: mcp?.max_tool_name_length ?? 64,
    ...(mcp?.allowed_hosts === undefined ? {} : { allowedHosts: mcp.allowed_hosts }),
    ...(mcp?.public_url === undefined ? {} : { publicUrl: mcp.public_url.replace(/\/+$/, '') }),
    health: {
      intervalMs: health?.interval_ms ?? DEFAULT_MCP_HEALTH.intervalMs,
      timeoutMs: health?.timeout_ms ?? DEFAULT_MCP_HEALTH.timeoutMs,
      failureThreshold: health?.failure_threshold ?? DEFAULT_MCP_HEALTH.failureThreshold,
      reconnectInitialMs: health?.reconnect_initial_ms ?? DEFAULT_MCP_HEALTH.reconnectInitialMs,
      reconnectMaxMs: health?.reconnect_max_ms ?? DEFAULT_MCP_HEALTH.reconnectMaxMs,
    },
    ...(adminToken === undefined ? {} : { adminToken }),
  };
}
