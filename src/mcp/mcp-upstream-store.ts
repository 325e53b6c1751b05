import type { McpServerConfig } from './mcp-config-schema.js';

/**
 * Where upstreams added through the admin API are kept so that they survive a restart: the
 * database (`McpUpstreamRepository`, `src/storage/repositories/mcp-repositories.ts`, secrets
 * encrypted) when the gateway runs with storage; without storage they last until the process ends.
 */
export interface McpUpstreamStore {
  /** Every stored upstream: its name and config entry as given (`env.NAME` references unresolved). */
  list(): Promise<Array<{ name: string; config: McpServerConfig }>>;
  /** Stores (inserts or replaces) an upstream's config entry. */
  save(name: string, config: McpServerConfig): Promise<void>;
  /** Deletes a stored upstream and the credentials held for it; resolves whether it was stored. */
  remove(name: string): Promise<boolean>;
}

/** How replicas sharing the store hear that its upstreams changed (the governance change notifier). */
export interface McpUpstreamChanges {
  /** Tells every replica (this one included) to apply the stored set. */
  publish(): Promise<void>;
  /** Registers the listener; returns the function that removes it. */
  subscribe(listener: () => void): () => void;
}
