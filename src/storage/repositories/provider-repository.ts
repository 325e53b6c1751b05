import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { HeimdallDatabase, ProviderConfigTable, ProviderKeyTable } from '../database-schema.js';
import type { SecretCipher } from '../encryption.js';
import type { ProviderKeyRecord, ProviderRecord, ProviderTimeoutsRecord } from '../records.js';
import { SecretValue } from '../secret-value.js';
import { InvalidValueStorageError, NotFoundStorageError } from '../storage-errors.js';
import { guardedWrite, inTransaction, nullable, optional, parseStringArray, parseStringRecord, type Clock } from './repository-support.js';

/** A new provider instance (what the config's `providers.<name>` entry holds). */
export interface NewProvider {
  name: string;
  type: string;
  baseUrl?: string;
  /** Header values are stored encrypted. */
  headers?: Record<string, string>;
  models?: string[];
  maxOutputTokens?: number;
  timeouts?: ProviderTimeoutsRecord;
  /** Provider-kind-specific settings (JSON values), stored encrypted. */
  options?: Record<string, unknown>;
}

/** Fields of a provider that can change. `null` clears an optional field. */
export interface ProviderPatch {
  name?: string;
  type?: string;
  baseUrl?: string | null;
  headers?: Record<string, string>;
  models?: string[];
  maxOutputTokens?: number | null;
  timeouts?: ProviderTimeoutsRecord;
  /** Replaces all provider-kind-specific settings. */
  options?: Record<string, unknown>;
}

/** A new key of a provider. `value` is stored encrypted. */
export interface NewProviderKey {
  name: string;
  value: string;
  /** Default 1; must be > 0. */
  weight?: number;
  /** Default `["*"]`. */
  models?: string[];
  deployments?: Record<string, string>;
  /** Key-kind-specific settings (JSON values), stored encrypted. */
  options?: Record<string, unknown>;
}

/** Fields of a provider key that can change. */
export interface ProviderKeyPatch {
  name?: string;
  value?: string;
  weight?: number;
  models?: string[];
  deployments?: Record<string, string>;
  /** Replaces all key-kind-specific settings. */
  options?: Record<string, unknown>;
}

function keyContext(keyId: string): string {
  return `provider-key:${keyId}`;
}

function headersContext(providerId: string): string {
  return `provider-headers:${providerId}`;
}

function providerOptionsContext(providerId: string): string {
  return `provider-options:${providerId}`;
}

function keyOptionsContext(keyId: string): string {
  return `provider-key-options:${keyId}`;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return {};
}

function checkWeight(weight: number | undefined): void {
  if (weight !== undefined && !(Number.isFinite(weight) && weight > 0)) {
    throw new InvalidValueStorageError('provider key: weight must be a number greater than 0');
  }
}

/**
 * Provider instances and their keys. Key values and header values are encrypted with AES-256-GCM
 * before they reach the database and come back as {@link SecretValue}s.
 */
export class ProviderRepository {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock,
    private readonly cipher: SecretCipher,
  ) {}

  /** @throws ConflictStorageError when the name is taken */
  async create(input: NewProvider): Promise<ProviderRecord> {
    const now = this.clock();
    const id = randomUUID();
    const row: Selectable<ProviderConfigTable> = {
      id,
      name: input.name,
      type: input.type,
      base_url: nullable(input.baseUrl),
      encrypted_headers: this.encryptHeaders(id, input.headers),
      models: JSON.stringify(input.models ?? []),
      max_output_tokens: nullable(input.maxOutputTokens),
      connect_timeout_ms: nullable(input.timeouts?.connectMs),
      first_byte_timeout_ms: nullable(input.timeouts?.firstByteMs),
      idle_timeout_ms: nullable(input.timeouts?.idleMs),
      encrypted_options: this.encryptOptions(input.options, providerOptionsContext(id)),
      created_at: now,
      updated_at: now,
    };
    await guardedWrite('provider', `name '${input.name}' is taken`, () => this.database.insertInto('provider_configs').values(row).execute());
    return this.toProvider(row, []);
  }

  /** A provider with its keys (decrypted into {@link SecretValue}s). */
  async get(id: string): Promise<ProviderRecord | undefined> {
    const row = await this.database.selectFrom('provider_configs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : this.withKeys(row);
  }

  async findByName(name: string): Promise<ProviderRecord | undefined> {
    const row = await this.database.selectFrom('provider_configs').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : this.withKeys(row);
  }

  /**
   * Every provider with its keys, by name.
   * @throws EncryptionStorageError when a stored secret cannot be decrypted (wrong master key)
   */
  async list(): Promise<ProviderRecord[]> {
    const rows = await this.database.selectFrom('provider_configs').selectAll().orderBy('name').execute();
    const keyRows = await this.database.selectFrom('provider_keys').selectAll().orderBy('name').execute();
    return rows.map((row) =>
      this.toProvider(
        row,
        keyRows.filter((key) => key.provider_id === row.id),
      ),
    );
  }

  /**
   * @throws NotFoundStorageError when there is no such provider
   * @throws ConflictStorageError when the new name is taken
   */
  async update(id: string, patch: ProviderPatch): Promise<ProviderRecord> {
    const changes: Updateable<ProviderConfigTable> = { updated_at: this.clock() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.type !== undefined) changes.type = patch.type;
    if (patch.baseUrl !== undefined) changes.base_url = patch.baseUrl;
    if (patch.headers !== undefined) changes.encrypted_headers = this.encryptHeaders(id, patch.headers);
    if (patch.models !== undefined) changes.models = JSON.stringify(patch.models);
    if (patch.maxOutputTokens !== undefined) changes.max_output_tokens = patch.maxOutputTokens;
    if (patch.timeouts !== undefined) {
      changes.connect_timeout_ms = nullable(patch.timeouts.connectMs);
      changes.first_byte_timeout_ms = nullable(patch.timeouts.firstByteMs);
      changes.idle_timeout_ms = nullable(patch.timeouts.idleMs);
    }
    if (patch.options !== undefined) changes.encrypted_options = this.encryptOptions(patch.options, providerOptionsContext(id));
    const result = await guardedWrite('provider', `name '${patch.name ?? ''}' is taken`, () =>
      this.database.updateTable('provider_configs').set(changes).where('id', '=', id).executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('provider', id);
    return (await this.get(id)) as ProviderRecord;
  }

  /**
   * Deletes a provider and its keys.
   * @throws NotFoundStorageError when there is no such provider
   */
  async delete(id: string): Promise<void> {
    await inTransaction(this.database, async (transaction) => {
      await transaction.deleteFrom('provider_keys').where('provider_id', '=', id).execute();
      const result = await transaction.deleteFrom('provider_configs').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFoundStorageError('provider', id);
    });
  }

  /**
   * Adds a key to a provider; its value is encrypted before it is stored.
   * @throws ConflictStorageError when the provider has a key of that name, or does not exist
   * @throws InvalidValueStorageError when the weight is not > 0
   */
  async addKey(providerId: string, input: NewProviderKey): Promise<ProviderKeyRecord> {
    checkWeight(input.weight);
    const now = this.clock();
    const id = randomUUID();
    const row: Selectable<ProviderKeyTable> = {
      id,
      provider_id: providerId,
      name: input.name,
      encrypted_value: this.cipher.encrypt(input.value, keyContext(id)),
      weight: input.weight ?? 1,
      models: JSON.stringify(input.models ?? ['*']),
      deployments: JSON.stringify(input.deployments ?? {}),
      encrypted_options: this.encryptOptions(input.options, keyOptionsContext(id)),
      created_at: now,
      updated_at: now,
    };
    await guardedWrite('provider key', `name '${input.name}' is taken in this provider`, () =>
      this.database.insertInto('provider_keys').values(row).execute(),
    );
    return this.toKey(row);
  }

  async getKey(keyId: string): Promise<ProviderKeyRecord | undefined> {
    const row = await this.database.selectFrom('provider_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
    return row === undefined ? undefined : this.toKey(row);
  }

  /**
   * @throws NotFoundStorageError when there is no such key
   * @throws ConflictStorageError when the new name is taken in the provider
   * @throws InvalidValueStorageError when the weight is not > 0
   */
  async updateKey(keyId: string, patch: ProviderKeyPatch): Promise<ProviderKeyRecord> {
    checkWeight(patch.weight);
    const changes: Updateable<ProviderKeyTable> = { updated_at: this.clock() };
    if (patch.name !== undefined) changes.name = patch.name;
    if (patch.value !== undefined) changes.encrypted_value = this.cipher.encrypt(patch.value, keyContext(keyId));
    if (patch.weight !== undefined) changes.weight = patch.weight;
    if (patch.models !== undefined) changes.models = JSON.stringify(patch.models);
    if (patch.deployments !== undefined) changes.deployments = JSON.stringify(patch.deployments);
    if (patch.options !== undefined) changes.encrypted_options = this.encryptOptions(patch.options, keyOptionsContext(keyId));
    const result = await guardedWrite('provider key', `name '${patch.name ?? ''}' is taken in this provider`, () =>
      this.database.updateTable('provider_keys').set(changes).where('id', '=', keyId).executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('provider key', keyId);
    return (await this.getKey(keyId)) as ProviderKeyRecord;
  }

  /** @throws NotFoundStorageError when there is no such key */
  async deleteKey(keyId: string): Promise<void> {
    const result = await this.database.deleteFrom('provider_keys').where('id', '=', keyId).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundStorageError('provider key', keyId);
  }

  private async withKeys(row: Selectable<ProviderConfigTable>): Promise<ProviderRecord> {
    const keyRows = await this.database.selectFrom('provider_keys').selectAll().where('provider_id', '=', row.id).orderBy('name').execute();
    return this.toProvider(row, keyRows);
  }

  private encryptHeaders(providerId: string, headers: Record<string, string> | undefined): string | null {
    if (headers === undefined || Object.keys(headers).length === 0) return null;
    const lowerCased: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) lowerCased[name.toLowerCase()] = value;
    return this.cipher.encrypt(JSON.stringify(lowerCased), headersContext(providerId));
  }

  private encryptOptions(options: Record<string, unknown> | undefined, context: string): string | null {
    if (options === undefined || Object.keys(options).length === 0) return null;
    return this.cipher.encrypt(JSON.stringify(options), context);
  }

  private decryptOptions(encrypted: string | null, context: string): Record<string, unknown> {
    return encrypted === null ? {} : parseObject(this.cipher.decrypt(encrypted, context));
  }

  private toProvider(row: Selectable<ProviderConfigTable>, keyRows: Array<Selectable<ProviderKeyTable>>): ProviderRecord {
    const headers: Record<string, SecretValue> = {};
    if (row.encrypted_headers !== null) {
      for (const [name, value] of Object.entries(parseStringRecord(this.cipher.decrypt(row.encrypted_headers, headersContext(row.id))))) {
        headers[name] = new SecretValue(value);
      }
    }
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      baseUrl: optional(row.base_url),
      headers,
      models: parseStringArray(row.models, []),
      maxOutputTokens: optional(row.max_output_tokens),
      timeouts: {
        connectMs: optional(row.connect_timeout_ms),
        firstByteMs: optional(row.first_byte_timeout_ms),
        idleMs: optional(row.idle_timeout_ms),
      },
      options: this.decryptOptions(row.encrypted_options, providerOptionsContext(row.id)),
      keys: keyRows.map((keyRow) => this.toKey(keyRow)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private toKey(row: Selectable<ProviderKeyTable>): ProviderKeyRecord {
    return {
      id: row.id,
      providerId: row.provider_id,
      name: row.name,
      value: new SecretValue(this.cipher.decrypt(row.encrypted_value, keyContext(row.id))),
      weight: row.weight,
      models: parseStringArray(row.models, ['*']),
      deployments: parseStringRecord(row.deployments),
      options: this.decryptOptions(row.encrypted_options, keyOptionsContext(row.id)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
