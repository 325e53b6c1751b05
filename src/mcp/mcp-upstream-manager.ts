import { McpCatalogIndex } from './mcp-catalog-index.js';
import { REAL_TIMERS, type MonitorTimers } from './mcp-health-monitor.js';
import type { McpHealthSettings, McpUpstreamSettings } from './mcp-settings.js';
import { McpUpstream, type McpUpstreamAuth, type McpUpstreamStatus } from './mcp-upstream.js';

/**
 * The set of upstream MCP servers, changed at run time through the admin API or at start from the
 * config, and the aggregated catalog of the connected ones. Listeners hear when the catalog
 * changes (to send `notifications/tools/list_changed` and friends) and when a resource updates.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#list-changed-notification
 */

export interface McpUpstreamManagerListener {
  onCatalogChanged(): void;
  onResourceUpdated(upstreamId: string, uri: string): void;
}

/** An admin-API operation on an upstream id that does not fit the current set. */
export class McpUpstreamConflictError extends Error {
  constructor(
    message: string,
    readonly reason: 'exists' | 'unknown',
  ) {
    super(message);
    this.name = 'McpUpstreamConflictError';
  }
}

export class McpUpstreamManager {
  private readonly upstreams = new Map<string, McpUpstream>();
  private readonly listeners = new Set<McpUpstreamManagerListener>();
  private indexValue = new McpCatalogIndex();
  private started = false;

  constructor(
    private readonly health: McpHealthSettings,
    private readonly maxToolNameLength: number,
    private readonly timers: MonitorTimers = REAL_TIMERS,
    private readonly auth?: McpUpstreamAuth,
  ) {}

  /** The aggregated catalog of the connected upstreams. */
  get index(): McpCatalogIndex {
    return this.indexValue;
  }

  addListener(listener: McpUpstreamManagerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every upstream, sorted by id (the order clashes are decided in). */
  list(): McpUpstream[] {
    return [...this.upstreams.values()].sort((left, right) => left.id.localeCompare(right.id));
  }

  get(id: string): McpUpstream | undefined {
    return this.upstreams.get(id);
  }

  statuses(): McpUpstreamStatus[] {
    return this.list().map((upstream) => upstream.status());
  }

  /** Starts connecting every upstream given (in the background). */
  start(initial: readonly McpUpstreamSettings[]): void {
    this.started = true;
    for (const settings of initial) this.upstreams.set(settings.id, this.create(settings));
    for (const upstream of this.upstreams.values()) upstream.start();
  }

  private create(settings: McpUpstreamSettings): McpUpstream {
    return new McpUpstream(
      settings,
      this.health,
      {
        onCatalogChanged: (upstream) => {
          if (this.upstreams.get(upstream.id) === upstream) this.rebuild();
        },
        onResourceUpdated: (upstream, uri) => {
          for (const listener of this.listeners) listener.onResourceUpdated(upstream.id, uri);
        },
      },
      this.timers,
      this.auth,
    );
  }

  private rebuild(): void {
    this.indexValue = McpCatalogIndex.build(this.list(), this.maxToolNameLength);
    for (const listener of this.listeners) listener.onCatalogChanged();
  }

  /**
   * Adds an upstream and starts connecting it.
   * @throws McpUpstreamConflictError when the id is taken
   */
  add(settings: McpUpstreamSettings): McpUpstream {
    if (this.upstreams.has(settings.id)) throw new McpUpstreamConflictError(`MCP server '${settings.id}' already exists`, 'exists');
    const upstream = this.create(settings);
    this.upstreams.set(settings.id, upstream);
    if (this.started) upstream.start();
    return upstream;
  }

  /**
   * Replaces an upstream's settings: the old connection closes, the new one starts.
   * @throws McpUpstreamConflictError when the id is unknown
   */
  async replace(settings: McpUpstreamSettings): Promise<McpUpstream> {
    const existing = this.upstreams.get(settings.id);
    if (existing === undefined) throw new McpUpstreamConflictError(`no MCP server '${settings.id}'`, 'unknown');
    const upstream = this.create(settings);
    this.upstreams.set(settings.id, upstream);
    await existing.stop();
    this.rebuild();
    if (this.started) upstream.start();
    return upstream;
  }

  /**
   * Removes an upstream and closes its connections.
   * @throws McpUpstreamConflictError when the id is unknown
   */
  async remove(id: string): Promise<void> {
    const existing = this.upstreams.get(id);
    if (existing === undefined) throw new McpUpstreamConflictError(`no MCP server '${id}'`, 'unknown');
    this.upstreams.delete(id);
    await existing.stop();
    this.rebuild();
  }

  /** Closes every upstream. */
  async close(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    this.listeners.clear();
    await Promise.all(all.map((upstream) => upstream.stop()));
  }
}
