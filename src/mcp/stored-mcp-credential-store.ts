import type { McpCredentialRepository } from '../storage/repositories/mcp-repositories.js';
import type { McpCredentialStore } from './mcp-credential-store.js';

/**
 * Per-user headers kept in the database (`mcp_credentials`, kind `headers`), encrypted at rest:
 * they survive restarts and are shared by replicas on one database.
 * @see McpCredentialRepository
 */
export class StoredMcpCredentialStore implements McpCredentialStore {
  constructor(private readonly repository: McpCredentialRepository) {}

  async get(upstreamId: string, identityKey: string): Promise<Readonly<Record<string, string>> | undefined> {
    const value = await this.repository.get(upstreamId, identityKey, 'headers');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const headers: Record<string, string> = {};
    for (const [name, item] of Object.entries(value)) if (typeof item === 'string') headers[name] = item;
    return headers;
  }

  set(upstreamId: string, identityKey: string, headers: Readonly<Record<string, string>>): Promise<void> {
    return this.repository.set(upstreamId, identityKey, 'headers', headers);
  }

  delete(upstreamId: string, identityKey: string): Promise<boolean> {
    return this.repository.delete(upstreamId, identityKey, 'headers');
  }

  deleteUpstream(upstreamId: string): Promise<void> {
    return this.repository.deleteUpstream(upstreamId);
  }
}
