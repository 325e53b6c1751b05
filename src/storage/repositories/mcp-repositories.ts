import type { Kysely } from 'kysely';
import type { McpServerConfig } from '../../mcp/mcp-config-schema.js';
import type { HeimdallDatabase } from '../database-schema.js';
import type { SecretCipher } from '../encryption.js';
import { StorageError } from '../storage-errors.js';
import { guardedWrite, type Clock } from './repository-support.js';

/**
 * The MCP gateway's stored state (tables `mcp_upstreams` and `mcp_credentials`, migration 0006):
 * upstreams added through the admin API and the credentials Heimdall holds for them. Secrets are
 * encrypted with the store's {@link SecretCipher} (AES-256-GCM, as provider keys), each bound to
 * its row by the encryption context.
 */

/** Fields of an upstream's config entry that may hold secrets: stored encrypted. */
const SECRET_FIELDS = ['headers', 'env', 'oauth', 'per_user_oauth'] as const;

/** An upstream added through the admin API, as stored. */
export interface StoredMcpUpstream {
  name: string;
  /** Its config entry as given (`env.NAME` references stay unresolved). */
  config: McpServerConfig;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

function upstreamContext(name: string): string {
  return `mcp-upstream:${name}`;
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StorageError(`${what}: stored value is not JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StorageError(`${what}: stored value is not an object`);
  return value as Record<string, unknown>;
}

/** Upstream MCP servers added through the admin API, by name. */
export class McpUpstreamRepository {
  readonly #database: Kysely<HeimdallDatabase>;
  readonly #clock: Clock;
  readonly #cipher: SecretCipher;

  constructor(database: Kysely<HeimdallDatabase>, clock: Clock, cipher: SecretCipher) {
    this.#database = database;
    this.#clock = clock;
    this.#cipher = cipher;
  }

  /**
   * Every stored upstream, by name.
   * @throws EncryptionStorageError when a stored secret cannot be decrypted (another master key)
   */
  async list(): Promise<StoredMcpUpstream[]> {
    const rows = await this.#database.selectFrom('mcp_upstreams').selectAll().orderBy('name').execute();
    return rows.map((row) => {
      const definition = parseJsonObject(row.definition, `MCP server '${row.name}'`);
      const secrets = row.encrypted_secrets === null ? {} : parseJsonObject(this.#cipher.decrypt(row.encrypted_secrets, upstreamContext(row.name)), `MCP server '${row.name}' secrets`);
      return { name: row.name, config: { ...definition, ...secrets } as McpServerConfig, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
    });
  }

  /** Stores (inserts or replaces) an upstream's config entry; its secret fields are encrypted. */
  async save(name: string, config: McpServerConfig): Promise<void> {
    const definition: Record<string, unknown> = { ...config };
    const secrets: Record<string, unknown> = {};
    for (const field of SECRET_FIELDS) {
      if (definition[field] === undefined) continue;
      secrets[field] = definition[field];
      delete definition[field];
    }
    const encrypted = Object.keys(secrets).length === 0 ? null : this.#cipher.encrypt(JSON.stringify(secrets), upstreamContext(name));
    const now = this.#clock();
    await guardedWrite('MCP server', `an MCP server named '${name}' exists already`, () =>
      this.#database
        .insertInto('mcp_upstreams')
        .values({ name, definition: JSON.stringify(definition), encrypted_secrets: encrypted, created_at: now, updated_at: now })
        .onConflict((conflict) => conflict.column('name').doUpdateSet({ definition: JSON.stringify(definition), encrypted_secrets: encrypted, updated_at: now }))
        .execute(),
    );
  }

  /** Deletes a stored upstream and every credential held for it. @returns whether it was stored */
  async remove(name: string): Promise<boolean> {
    await this.#database.deleteFrom('mcp_credentials').where('upstream', '=', name).execute();
    const result = await this.#database.deleteFrom('mcp_upstreams').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

/** What an `mcp_credentials` row holds. */
export type McpCredentialKind = 'headers' | 'oauth-tokens' | 'oauth-client' | 'oauth-pending';

function credentialContext(upstream: string, identity: string, kind: McpCredentialKind): string {
  return `mcp-credential:${kind}:${upstream}:${identity}`;
}

/**
 * Credentials held per upstream and caller (or per upstream, `identity` ''), as JSON values
 * encrypted at rest.
 */
export class McpCredentialRepository {
  readonly #database: Kysely<HeimdallDatabase>;
  readonly #clock: Clock;
  readonly #cipher: SecretCipher;

  constructor(database: Kysely<HeimdallDatabase>, clock: Clock, cipher: SecretCipher) {
    this.#database = database;
    this.#clock = clock;
    this.#cipher = cipher;
  }

  /**
   * The stored value, decrypted and parsed, or undefined.
   * @throws EncryptionStorageError when it cannot be decrypted (another master key, or altered)
   */
  async get(upstream: string, identity: string, kind: McpCredentialKind): Promise<unknown> {
    const row = await this.#database
      .selectFrom('mcp_credentials')
      .select('encrypted_value')
      .where('upstream', '=', upstream)
      .where('identity', '=', identity)
      .where('kind', '=', kind)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return JSON.parse(this.#cipher.decrypt(row.encrypted_value, credentialContext(upstream, identity, kind))) as unknown;
  }

  /** Stores (replaces) a value, encrypted. */
  async set(upstream: string, identity: string, kind: McpCredentialKind, value: unknown): Promise<void> {
    const encrypted = this.#cipher.encrypt(JSON.stringify(value), credentialContext(upstream, identity, kind));
    const now = this.#clock();
    await guardedWrite('MCP credential', 'exists already', () =>
      this.#database
        .insertInto('mcp_credentials')
        .values({ upstream, identity, kind, encrypted_value: encrypted, updated_at: now })
        .onConflict((conflict) => conflict.columns(['upstream', 'identity', 'kind']).doUpdateSet({ encrypted_value: encrypted, updated_at: now }))
        .execute(),
    );
  }

  /** Deletes a value. @returns whether one was stored */
  async delete(upstream: string, identity: string, kind: McpCredentialKind): Promise<boolean> {
    const result = await this.#database
      .deleteFrom('mcp_credentials')
      .where('upstream', '=', upstream)
      .where('identity', '=', identity)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** The identities holding a value of `kind` for the upstream, most recently stored first. */
  async identities(upstream: string, kind: McpCredentialKind): Promise<string[]> {
    const rows = await this.#database
      .selectFrom('mcp_credentials')
      .select('identity')
      .where('upstream', '=', upstream)
      .where('kind', '=', kind)
      .orderBy('updated_at', 'desc')
      .orderBy('identity')
      .execute();
    return rows.map((row) => row.identity);
  }

  /** Deletes every value held for an upstream. */
  async deleteUpstream(upstream: string): Promise<void> {
    await this.#database.deleteFrom('mcp_credentials').where('upstream', '=', upstream).execute();
  }
}
