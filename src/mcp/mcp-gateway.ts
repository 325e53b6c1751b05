import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../config/gateway-settings.js';
import type { McpToolCallContext } from './call-mcp-tool.js';
import { handleMcpAdminRequest, MCP_ADMIN_PREFIX } from './mcp-admin-api.js';
import { InMemoryMcpCredentialStore, type McpCredentialStore } from './mcp-credential-store.js';
import { handleMcpCredentialsRequest, MCP_CREDENTIALS_PATH } from './mcp-credentials-api.js';
import type { MonitorTimers } from './mcp-health-monitor.js';
import { McpHttpEndpoint, MCP_ENDPOINT_PATH } from './mcp-http-endpoint.js';
import { ConfigMcpIdentityResolver, type McpIdentityResolver } from './mcp-identity.js';
import { handleOAuthDiscovery, isOAuthDiscoveryPath } from './mcp-oauth-discovery.js';
import { effectiveAllowedHosts, type McpSettings } from './mcp-settings.js';
import { McpUpstreamManager } from './mcp-upstream-manager.js';

/**
 * The MCP gateway: upstream MCP servers (stdio, Streamable HTTP, SSE) aggregated behind `/mcp`,
 * with per-key tool governance, per-user upstream credentials, the admin API and the OAuth
 * discovery answers. Created and closed by `startGateway`; the HTTP server hands it every request
 * through {@link McpGateway.route}.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25
 */

export interface McpGatewayOptions {
  /** Defaults to the config-backed resolver (`mcp.access`, `mcp.enforce_auth_on_inference`). */
  resolver?: McpIdentityResolver;
  /** Defaults to an in-memory store. */
  credentials?: McpCredentialStore;
  /** Timers of health monitors and reconnects (tests). */
  timers?: MonitorTimers;
}

function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export class McpGateway implements McpToolCallContext {
  readonly settings: McpSettings;
  readonly manager: McpUpstreamManager;
  readonly resolver: McpIdentityResolver;
  readonly credentials: McpCredentialStore;
  readonly endpoint: McpHttpEndpoint;
  private readonly maxBodyBytes: number;
  private readonly bindHost: string;
  private readonly removeListener: () => void;

  constructor(gatewaySettings: Pick<GatewaySettings, 'mcp' | 'host' | 'maxBodyBytes'>, options: McpGatewayOptions = {}) {
    this.settings = gatewaySettings.mcp;
    this.maxBodyBytes = gatewaySettings.maxBodyBytes;
    this.bindHost = gatewaySettings.host;
    this.resolver = options.resolver ?? new ConfigMcpIdentityResolver(this.settings);
    this.credentials = options.credentials ?? new InMemoryMcpCredentialStore();
    this.manager = new McpUpstreamManager(this.settings.health, this.settings.maxToolNameLength, options.timers);
    this.endpoint = new McpHttpEndpoint({
      resolver: this.resolver,
      allowedHosts: effectiveAllowedHosts(this.settings, gatewaySettings.host),
      maxBodyBytes: gatewaySettings.maxBodyBytes,
      context: {
        manager: this.manager,
        resolver: this.resolver,
        credentials: this.credentials,
        credentialsUrl: (upstreamId, headers) => this.credentialsUrl(upstreamId, headers),
      },
    });
    this.removeListener = this.manager.addListener({
      onCatalogChanged: () => {
        for (const session of this.endpoint.sessionServers()) {
          if (!session.server.transport) continue;
          void session.server.sendToolListChanged().catch(() => undefined);
          void session.server.sendResourceListChanged().catch(() => undefined);
          void session.server.sendPromptListChanged().catch(() => undefined);
        }
      },
      onResourceUpdated: (_upstreamId, uri) => {
        for (const session of this.endpoint.sessionServers()) {
          if (session.subscriptions.has(uri)) void session.server.sendResourceUpdated({ uri }).catch(() => undefined);
        }
      },
    });
  }

  /** Where a caller stores a per-user credential for an upstream: `http://<Host>/api/mcp/credentials/<upstream>`. */
  credentialsUrl(upstreamId: string, headers: IncomingHttpHeaders): string {
    return `http://${firstHeader(headers, 'host') ?? this.bindHost}${MCP_CREDENTIALS_PATH}/${encodeURIComponent(upstreamId)}`;
  }

  /** Starts connecting the configured upstreams (in the background). */
  start(): void {
    this.manager.start(this.settings.upstreams);
  }

  /**
   * Serves the MCP gateway's routes: `/mcp`, `/api/mcp/…`, and the OAuth discovery paths.
   * @returns false when the path is none of these (the caller routes it elsewhere)
   * @throws GatewayError from the admin and credentials APIs (answered by the caller's error handler)
   */
  async route(request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> {
    if (path === MCP_ENDPOINT_PATH) {
      await this.endpoint.handle(request, response);
      return true;
    }
    if (path.startsWith(MCP_ADMIN_PREFIX)) {
      const dependencies = { manager: this.manager, resolver: this.resolver, credentials: this.credentials, maxBodyBytes: this.maxBodyBytes };
      if (await handleMcpCredentialsRequest(request, response, path, dependencies)) return true;
      return handleMcpAdminRequest(request, response, path, this.manager, {
        adminToken: this.settings.adminToken,
        maxBodyBytes: this.maxBodyBytes,
        maxToolNameLength: this.settings.maxToolNameLength,
      });
    }
    if (isOAuthDiscoveryPath(path)) {
      handleOAuthDiscovery(request, response, path);
      return true;
    }
    return false;
  }

  /** Closes every MCP session and upstream connection. */
  async close(): Promise<void> {
    this.removeListener();
    await this.endpoint.close();
    await this.manager.close();
  }
}

const gatewayOfRequest = new WeakMap<IncomingMessage, McpGateway>();

/** Remembers which MCP gateway serves a request (so the inference path can inject its tools). */
export function bindMcpGateway(request: IncomingMessage, gateway: McpGateway): void {
  gatewayOfRequest.set(request, gateway);
}

/** The MCP gateway serving a request, when there is one. */
export function mcpGatewayOf(request: IncomingMessage): McpGateway | undefined {
  return gatewayOfRequest.get(request);
}
