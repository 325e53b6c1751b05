import { createHash } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { McpUpstreamUnavailableError } from './mcp-errors.js';
import { McpHealthMonitor, REAL_TIMERS, reconnectDelayMs, type MonitorTimers } from './mcp-health-monitor.js';
import type { McpHealthSettings, McpUpstreamSettings } from './mcp-settings.js';
import { McpUpstreamClient, type McpUpstreamCatalog, type McpUpstreamClientEvents } from './mcp-upstream-client.js';

/**
 * One configured upstream MCP server through its life: connecting, connected (serving its tools),
 * disconnected (serving none, reconnecting with backoff) or disabled. Holds the shared connection
 * (listing, health pings, calls) and, for upstreams with per-user credentials, one connection per
 * caller.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/lifecycle
 */

export type McpUpstreamState = 'connecting' | 'connected' | 'disconnected' | 'disabled';

/** What the admin API reports about an upstream. */
export interface McpUpstreamStatus {
  id: string;
  state: McpUpstreamState;
  transport: McpUpstreamSettings['transport']['kind'];
  namespace: boolean;
  tools: number;
  resources: number;
  prompts: number;
  consecutive_failures: number;
  reconnect_attempts: number;
  last_error?: string;
  connected_at?: string;
  server?: { name: string; version: string };
  per_user_headers: string[];
  /** Whether each caller authorises with their own OAuth account. */
  per_user_oauth: boolean;
  stderr_tail?: string[];
}

/** What the upstream tells its owner. */
export interface McpUpstreamListener {
  /** The upstream's tools/resources/prompts changed (connected, disconnected, or a list_changed). */
  onCatalogChanged(upstream: McpUpstream): void;
  onResourceUpdated(upstream: McpUpstream, uri: string): void;
}

/** Where the shared connection of a `per_user_oauth` upstream gets its OAuth provider. */
export interface McpUpstreamAuth {
  /** The provider of a caller who has authorised the upstream; undefined while nobody has. */
  sharedConnectionProvider(upstream: McpUpstream): Promise<OAuthClientProvider | undefined>;
}

const EMPTY_CATALOG: McpUpstreamCatalog = { tools: [], resources: [], resourceTemplates: [], prompts: [] };

/** The one tool a `per_user_oauth` upstream serves while nobody has authorised it: its call returns the caller's authorization link. */
export const MCP_AUTHORIZE_TOOL = 'authorize';

function awaitingAuthorizationCatalog(upstreamId: string): McpUpstreamCatalog {
  return {
    ...EMPTY_CATALOG,
    tools: [
      {
        name: MCP_AUTHORIZE_TOOL,
        description: `Sign in to the MCP server '${upstreamId}' with your own account: returns the link to open. Its tools appear here once someone has signed in.`,
        inputSchema: { type: 'object', properties: {} },
      },
    ],
  };
}

/** A `per_user_oauth` upstream's shared connection has no token yet: nobody has authorised it. */
class McpAwaitingAuthorizationError extends Error {
  constructor(upstreamId: string) {
    super(`waiting for a first user to authorise Heimdall with this server (the '${MCP_AUTHORIZE_TOOL}' tool, or POST /api/mcp/oauth/${upstreamId}/authorize); its tools are listed with that user's token`);
    this.name = 'McpAwaitingAuthorizationError';
  }
}
/** Longest a connection attempt (process start + handshake + listing) may take, ms. */
const CONNECT_TIMEOUT_MS = 30_000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fingerprint(headers: Readonly<Record<string, string>>): string {
  const sorted = Object.entries(headers).sort(([left], [right]) => left.localeCompare(right));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export class McpUpstream {
  private stateValue: McpUpstreamState = 'disconnected';
  private primary: McpUpstreamClient | undefined;
  private catalogValue: McpUpstreamCatalog = EMPTY_CATALOG;
  private awaitingAuthorizationValue = false;
  private readonly perUser = new Map<string, { client: Promise<McpUpstreamClient>; fingerprint: string }>();
  private readonly monitor: McpHealthMonitor;
  private readonly timers: MonitorTimers;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempts = 0;
  private lastError: string | undefined;
  private connectedAt: Date | undefined;
  /** Bumped on every (re)connect and stop, so stale attempts drop their results. */
  private generation = 0;
  private stopped = false;
  private connecting: Promise<void> | undefined;

  constructor(
    readonly settings: McpUpstreamSettings,
    private readonly health: McpHealthSettings,
    private readonly listener: McpUpstreamListener,
    timers: MonitorTimers = REAL_TIMERS,
    private readonly auth?: McpUpstreamAuth,
  ) {
    this.timers = timers;
    this.monitor = new McpHealthMonitor({
      intervalMs: health.intervalMs,
      failureThreshold: health.failureThreshold,
      timers,
      check: async () => {
        const client = this.primary;
        if (client === undefined || client.isClosed) throw new Error('not connected');
        await client.client.ping({ timeout: health.timeoutMs });
      },
      onFailure: (count, error) => {
        this.lastError = `health check ${count}/${health.failureThreshold} failed: ${describe(error)}`;
      },
      onUnhealthy: (error) => this.markDisconnected(`${this.health.failureThreshold} consecutive health checks failed: ${describe(error)}`),
    });
  }

  get id(): string {
    return this.settings.id;
  }

  get state(): McpUpstreamState {
    return this.stateValue;
  }

  /** The tools, resources and prompts served now (empty unless connected). */
  get catalog(): McpUpstreamCatalog {
    if (this.stateValue === 'connected') return this.catalogValue;
    return this.awaitingAuthorizationValue ? awaitingAuthorizationCatalog(this.id) : EMPTY_CATALOG;
  }

  /** Whether this `per_user_oauth` upstream waits for its first authorization (it then serves only {@link MCP_AUTHORIZE_TOOL}). */
  get awaitingAuthorization(): boolean {
    return this.awaitingAuthorizationValue && this.stateValue !== 'connected';
  }

  /** The shared connection's stdio process id, when there is one. */
  get pid(): number | undefined {
    return this.primary?.pid;
  }

  /** Starts connecting (in the background); a disabled upstream stays disabled. */
  start(): void {
    if (!this.settings.enabled) {
      this.stateValue = 'disabled';
      return;
    }
    void this.connect();
  }

  /** Connects now (closing any current connection) and resolves when the attempt is over. */
  async reconnect(): Promise<void> {
    if (!this.settings.enabled) throw new McpUpstreamUnavailableError(this.id, 'it is disabled');
    this.reconnectAttempts = 0;
    await this.dropConnections();
    await this.connect();
  }

  /** Resolves once the current connection attempt (if any) is over. */
  async settled(): Promise<void> {
    await this.connecting;
  }

  /** Stops monitoring and reconnecting and closes every connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation += 1;
    await this.dropConnections();
  }

  private async dropConnections(): Promise<void> {
    this.monitor.stop();
    if (this.reconnectTimer !== undefined) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const primary = this.primary;
    this.primary = undefined;
    const perUser = [...this.perUser.values()];
    this.perUser.clear();
    await Promise.all([primary?.close(), ...perUser.map(async (entry) => (await entry.client.catch(() => undefined))?.close())]);
  }

  private events(generation: number): McpUpstreamClientEvents {
    return {
      onListChanged: () => {
        if (generation === this.generation) void this.refreshCatalog(generation);
      },
      onResourceUpdated: (uri) => {
        if (generation === this.generation) this.listener.onResourceUpdated(this, uri);
      },
      onClosed: () => {
        // Counted by the health monitor: pings on a closed connection fail at once.
      },
    };
  }

  private connect(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.generation += 1;
    const generation = this.generation;
    this.stateValue = 'connecting';
    const attempt = (async () => {
      let client: McpUpstreamClient | undefined;
      try {
        const authProvider = await this.sharedAuthProvider();
        client = await McpUpstreamClient.open(this.settings, {
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          events: this.events(generation),
          ...(authProvider === undefined ? {} : { authProvider }),
        });
        const catalog = await client.listCatalog(CONNECT_TIMEOUT_MS);
        if (generation !== this.generation) {
          await client.close();
          return;
        }
        this.primary = client;
        this.catalogValue = catalog;
        this.stateValue = 'connected';
        this.awaitingAuthorizationValue = false;
        this.reconnectAttempts = 0;
        this.lastError = undefined;
        this.connectedAt = new Date();
        this.monitor.start();
        this.listener.onCatalogChanged(this);
      } catch (error) {
        await client?.close();
        if (generation !== this.generation) return;
        this.lastError = `connection failed: ${describe(error)}`;
        this.stateValue = 'disconnected';
        const awaiting = error instanceof McpAwaitingAuthorizationError;
        if (awaiting !== this.awaitingAuthorizationValue) {
          this.awaitingAuthorizationValue = awaiting;
          this.listener.onCatalogChanged(this);
        }
        this.scheduleReconnect();
      }
    })();
    this.connecting = attempt;
    return attempt;
  }

  /**
   * A `per_user_oauth` upstream's shared connection lists tools and answers health checks with
   * the tokens of a caller who has authorised it.
   * @throws Error while nobody has authorised it
   */
  private async sharedAuthProvider(): Promise<OAuthClientProvider | undefined> {
    if (this.settings.perUserOAuth === undefined) return undefined;
    const provider = await this.auth?.sharedConnectionProvider(this);
    if (provider === undefined) throw new McpAwaitingAuthorizationError(this.id);
    return provider;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const delay = reconnectDelayMs(this.reconnectAttempts, this.health.reconnectInitialMs, this.health.reconnectMaxMs);
    this.reconnectAttempts += 1;
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private markDisconnected(reason: string): void {
    const wasConnected = this.stateValue === 'connected';
    this.generation += 1;
    this.lastError = reason;
    this.stateValue = 'disconnected';
    const primary = this.primary;
    this.primary = undefined;
    void primary?.close();
    for (const entry of this.perUser.values()) void entry.client.then((client) => client.close()).catch(() => undefined);
    this.perUser.clear();
    if (wasConnected) this.listener.onCatalogChanged(this);
    this.scheduleReconnect();
  }

  private async refreshCatalog(generation: number): Promise<void> {
    const client = this.primary;
    if (client === undefined) return;
    try {
      const catalog = await client.listCatalog(this.health.timeoutMs * 2);
      if (generation !== this.generation) return;
      this.catalogValue = catalog;
      this.listener.onCatalogChanged(this);
    } catch (error) {
      this.lastError = `refreshing the lists failed: ${describe(error)}`;
    }
  }

  /**
   * The connection a call goes through: the shared one, or — with `credentials` (per-user
   * upstreams; `{}` with `authProvider` for per-user OAuth, whose provider carries the caller's
   * tokens) — the caller's own, opened on first use and reopened when the credentials change.
   * @throws McpUpstreamUnavailableError when the upstream is not connected
   */
  async clientFor(identityKey?: string, credentials?: Readonly<Record<string, string>>, authProvider?: OAuthClientProvider): Promise<McpUpstreamClient> {
    if (this.stateValue !== 'connected' || this.primary === undefined) {
      throw new McpUpstreamUnavailableError(this.id, this.stateValue === 'disabled' ? 'it is disabled' : `it is ${this.stateValue}${this.lastError === undefined ? '' : ` (${this.lastError})`}`);
    }
    if (identityKey === undefined || credentials === undefined) return this.primary;
    const print = fingerprint(credentials);
    const existing = this.perUser.get(identityKey);
    if (existing !== undefined && existing.fingerprint === print) {
      const client = await existing.client.catch(() => undefined);
      if (client !== undefined && !client.isClosed) return client;
    }
    if (existing !== undefined) void existing.client.then((client) => client.close()).catch(() => undefined);
    const opening = McpUpstreamClient.open(this.settings, {
      extraHeaders: credentials,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      events: this.events(this.generation),
      ...(authProvider === undefined ? {} : { authProvider }),
    });
    this.perUser.set(identityKey, { client: opening, fingerprint: print });
    try {
      return await opening;
    } catch (error) {
      if (this.perUser.get(identityKey)?.client === opening) this.perUser.delete(identityKey);
      throw new McpUpstreamUnavailableError(this.id, `connecting with your credentials failed: ${describe(error)}`, { cause: error });
    }
  }

  /** Closes a caller's own connection (their credentials changed or were removed). */
  async forgetUser(identityKey: string): Promise<void> {
    const entry = this.perUser.get(identityKey);
    this.perUser.delete(identityKey);
    await (await entry?.client.catch(() => undefined))?.close();
  }

  status(): McpUpstreamStatus {
    const catalog = this.catalog;
    const server = this.primary?.client.getServerVersion();
    const stderrTail = this.primary?.stderrTail;
    return {
      id: this.id,
      state: this.stateValue,
      transport: this.settings.transport.kind,
      namespace: this.settings.namespace,
      tools: catalog.tools.length,
      resources: catalog.resources.length,
      prompts: catalog.prompts.length,
      consecutive_failures: this.monitor.consecutiveFailures,
      reconnect_attempts: this.reconnectAttempts,
      ...(this.lastError === undefined ? {} : { last_error: this.lastError }),
      ...(this.connectedAt === undefined || this.stateValue !== 'connected' ? {} : { connected_at: this.connectedAt.toISOString() }),
      ...(server === undefined ? {} : { server: { name: server.name, version: server.version } }),
      per_user_headers: this.settings.perUserHeaders,
      per_user_oauth: this.settings.perUserOAuth !== undefined,
      ...(stderrTail === undefined || stderrTail.length === 0 ? {} : { stderr_tail: [...stderrTail] }),
    };
  }
}
