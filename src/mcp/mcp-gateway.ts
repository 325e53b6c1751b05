import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../config/gateway-settings.js';
import type { McpToolCallContext } from './call-mcp-tool.js';
import { handleMcpAdminRequest, MCP_ADMIN_PREFIX } from './mcp-admin-api.js';
import { InMemoryMcpCredentialStore, type McpCredentialStore } from './mcp-credential-store.js';
import { handleMcpCredentialsRequest, MCP_CREDENTIALS_PATH } from './mcp-credentials-api.js';
import type { MonitorTimers } from './mcp-health-monitor.js';
import { McpHttpEndpoint, MCP_ENDPOINT_PATH } from './mcp-http-endpoint.js';
import { ConfigMcpIdentityResolver, type McpIdentityResolver } from './mcp-identity.js';
import { handleMcpOAuthRequest } from './mcp-oauth-api.js';
import { handleOAuthDiscovery, isOAuthDiscoveryPath } from './mcp-oauth-discovery.js';
import { McpOAuthFlows } from './mcp-oauth-flows.js';
import { InMemoryMcpOAuthEntries, McpOAuthStore, type McpOAuthEntries } from './mcp-oauth-store.js';
import { buildMcpUpstreamSettings, effectiveAllowedHosts, type McpSettings, type McpUpstreamSettings } from './mcp-settings.js';
import { McpUpstreamManager } from './mcp-upstream-manager.js';
import type { McpServerConfig } from './mcp-config-schema.js';
import type { McpUpstreamChanges, McpUpstreamStore } from './mcp-upstream-store.js';

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
  /** Where per-user OAuth tokens, client registrations and authorizations in progress are kept. Defaults to memory. */
  oauthEntries?: McpOAuthEntries;
  /** Keeps upstreams added through the admin API across restarts (the database, with storage). */
  upstreamStore?: McpUpstreamStore;
  /** Replicas sharing `upstreamStore` hear each other's changes through this (with storage). */
  upstreamChanges?: McpUpstreamChanges;
  /** Where start-up warnings go (a stored upstream that no longer loads). Default: console.warn. */
  log?: (line: string) => void;
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
  readonly oauth: McpOAuthFlows;
  readonly endpoint: McpHttpEndpoint;
  private readonly maxBodyBytes: number;
  private readonly bindHost: string;
  private readonly removeListener: () => void;
  private readonly upstreamStore: McpUpstreamStore | undefined;
  private readonly upstreamChanges: McpUpstreamChanges | undefined;
  /** Stored upstreams as applied here: name → their config entry as JSON. */
  private readonly appliedStored = new Map<string, string>();
  private unsubscribeChanges: (() => void) | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;

  constructor(gatewaySettings: Pick<GatewaySettings, 'mcp' | 'host' | 'maxBodyBytes'>, options: McpGatewayOptions = {}) {
    this.settings = gatewaySettings.mcp;
    this.maxBodyBytes = gatewaySettings.maxBodyBytes;
    this.bindHost = gatewaySettings.host;
    this.resolver = options.resolver ?? new ConfigMcpIdentityResolver(this.settings);
    this.credentials = options.credentials ?? new InMemoryMcpCredentialStore();
    this.upstreamStore = options.upstreamStore;
    this.upstreamChanges = options.upstreamChanges;
    this.log = options.log ?? ((line) => console.warn(line));
    this.oauth = new McpOAuthFlows(new McpOAuthStore(options.oauthEntries ?? new InMemoryMcpOAuthEntries()), (id) => this.manager.get(id));
    this.manager = new McpUpstreamManager(this.settings.health, this.settings.maxToolNameLength, options.timers, {
      sharedConnectionProvider: (upstream) => this.oauth.sharedConnectionProvider(upstream),
    });
    this.endpoint = new McpHttpEndpoint({
      resolver: this.resolver,
      allowedHosts: effectiveAllowedHosts(this.settings, gatewaySettings.host),
      maxBodyBytes: gatewaySettings.maxBodyBytes,
      context: {
        manager: this.manager,
        resolver: this.resolver,
        credentials: this.credentials,
        credentialsUrl: (upstreamId, headers) => this.credentialsUrl(upstreamId, headers),
        oauth: this.oauth,
        gatewayUrl: (headers) => this.gatewayUrl(headers),
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

  /** The gateway's URL as the caller reaches it: `mcp.public_url`, else `http://<Host>`. */
  gatewayUrl(headers: IncomingHttpHeaders): string {
    return this.settings.publicUrl ?? `http://${firstHeader(headers, 'host') ?? this.bindHost}`;
  }

  /** Where a caller stores a per-user credential for an upstream: `<gateway>/api/mcp/credentials/<upstream>`. */
  credentialsUrl(upstreamId: string, headers: IncomingHttpHeaders): string {
    return `${this.gatewayUrl(headers)}${MCP_CREDENTIALS_PATH}/${encodeURIComponent(upstreamId)}`;
  }

  /**
   * Starts connecting the configured upstreams and those stored through the admin API (in the
   * background). A stored upstream whose name the config file now uses, or whose entry no longer
   * loads (an unset `env.NAME`), is left out with a warning.
   * @throws StorageError when the stored upstreams cannot be read
   */
  async start(): Promise<void> {
    const upstreams: McpUpstreamSettings[] = [...this.settings.upstreams];
    const configured = new Set(upstreams.map((upstream) => upstream.id));
    for (const stored of (await this.upstreamStore?.list()) ?? []) {
      if (configured.has(stored.name)) {
        this.log(`MCP server '${stored.name}' added through the admin API is shadowed by mcp.servers.${stored.name} in the config file; using the config file's`);
        continue;
      }
      try {
        upstreams.push(buildMcpUpstreamSettings(stored.name, stored.config, process.env, stored.name));
        this.appliedStored.set(stored.name, JSON.stringify(stored.config));
      } catch (error) {
        this.log(`MCP server '${stored.name}' added through the admin API is left out: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.manager.start(upstreams);
    this.unsubscribeChanges = this.upstreamChanges?.subscribe(() => {
      this.syncing = this.syncing.then(() => this.applyStoredUpstreams());
    });
  }

  /** Resolves once the changes heard so far from other replicas are applied (tests). */
  async storedUpstreamsApplied(): Promise<void> {
    await this.syncing;
  }

  /**
   * Applies the stored set of API-added upstreams another replica changed: adds, replaces and
   * removes upstreams so that this replica serves the same. Never rejects (a failure is logged).
   */
  private async applyStoredUpstreams(): Promise<void> {
    if (this.upstreamStore === undefined) return;
    try {
      const configured = new Set(this.settings.upstreams.map((upstream) => upstream.id));
      const stored = (await this.upstreamStore.list()).filter((entry) => !configured.has(entry.name));
      for (const entry of stored) {
        const fingerprint = JSON.stringify(entry.config);
        if (this.appliedStored.get(entry.name) === fingerprint) continue;
        const settings = buildMcpUpstreamSettings(entry.name, entry.config, process.env, entry.name);
        if (this.manager.get(entry.name) === undefined) this.manager.add(settings);
        else await this.manager.replace(settings);
        this.appliedStored.set(entry.name, fingerprint);
      }
      const names = new Set(stored.map((entry) => entry.name));
      for (const name of [...this.appliedStored.keys()]) {
        if (names.has(name)) continue;
        this.appliedStored.delete(name);
        if (this.manager.get(name) !== undefined) await this.manager.remove(name);
      }
    } catch (error) {
      this.log(`applying the MCP servers stored by another replica failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Records an admin-API change as applied here and tells the other replicas. */
  private async storedChanged(name: string, config: McpServerConfig | undefined): Promise<void> {
    if (config === undefined) this.appliedStored.delete(name);
    else this.appliedStored.set(name, JSON.stringify(config));
    await this.upstreamChanges?.publish();
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
      const oauthDependencies = { manager: this.manager, resolver: this.resolver, oauth: this.oauth, gatewayUrl: (headers: IncomingHttpHeaders) => this.gatewayUrl(headers) };
      if (await handleMcpOAuthRequest(request, response, path, oauthDependencies)) return true;
      return handleMcpAdminRequest(request, response, path, this.manager, {
        adminToken: this.settings.adminToken,
        maxBodyBytes: this.maxBodyBytes,
        maxToolNameLength: this.settings.maxToolNameLength,
        configUpstreams: new Set(this.settings.upstreams.map((upstream) => upstream.id)),
        ...(this.upstreamStore === undefined ? {} : { store: this.upstreamStore }),
        storedChanged: (name, config) => this.storedChanged(name, config),
        forgetUpstream: async (id) => {
          await this.credentials.deleteUpstream(id);
          await this.oauth.store.deleteUpstream(id);
        },
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
    this.unsubscribeChanges?.();
    await this.syncing;
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
