/**
 * Per-user credentials for upstream MCP servers that need the caller's own (`per_user_headers`):
 * header values stored against an identity key (`virtual-key:<id>` / `session:<id>`). The in-memory
 * store is the default; with storage, `StoredMcpCredentialStore` keeps them encrypted in the database.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/security_best_practices#token-passthrough
 */
export interface McpCredentialStore {
  /** The headers stored for the identity and upstream, or undefined. */
  get(upstreamId: string, identityKey: string): Promise<Readonly<Record<string, string>> | undefined>;
  /** Stores (replaces) the headers for the identity and upstream. */
  set(upstreamId: string, identityKey: string, headers: Readonly<Record<string, string>>): Promise<void>;
  /** Removes them; resolves whether anything was stored. */
  delete(upstreamId: string, identityKey: string): Promise<boolean>;
  /** Removes every credential of an upstream (when the upstream is deleted). */
  deleteUpstream(upstreamId: string): Promise<void>;
}

/** Credentials kept in process memory (lost on restart). */
export class InMemoryMcpCredentialStore implements McpCredentialStore {
  private readonly entries = new Map<string, Map<string, Readonly<Record<string, string>>>>();

  get(upstreamId: string, identityKey: string): Promise<Readonly<Record<string, string>> | undefined> {
    return Promise.resolve(this.entries.get(upstreamId)?.get(identityKey));
  }

  set(upstreamId: string, identityKey: string, headers: Readonly<Record<string, string>>): Promise<void> {
    let byIdentity = this.entries.get(upstreamId);
    if (byIdentity === undefined) {
      byIdentity = new Map();
      this.entries.set(upstreamId, byIdentity);
    }
    byIdentity.set(identityKey, { ...headers });
    return Promise.resolve();
  }

  delete(upstreamId: string, identityKey: string): Promise<boolean> {
    return Promise.resolve(this.entries.get(upstreamId)?.delete(identityKey) ?? false);
  }

  deleteUpstream(upstreamId: string): Promise<void> {
    this.entries.delete(upstreamId);
    return Promise.resolve();
  }
}
