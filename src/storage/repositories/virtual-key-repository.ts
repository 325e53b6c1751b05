import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { HeimdallDatabase, VirtualKeyTable } from '../database-schema.js';
import type { VirtualKeyRecord } from '../records.js';
import { InvalidValueStorageError, NotFoundStorageError } from '../storage-errors.js';
import { deleteOwnedLimits } from './organization-repositories.js';
import { guardedWrite, inTransaction, nullable, optional, parseStringArray, type Clock } from './repository-support.js';

/** What a new virtual key is made of. The secret itself never reaches storage: only its hash. */
export interface NewVirtualKey {
  name: string;
  /** SHA-256 of the secret, lower-case hex (64 characters). */
  secretHash: string;
  /** `hk-` and 4 more characters. */
  keyPrefix: string;
  /** At most one of `teamId` and `customerId`. */
  teamId?: string;
  customerId?: string;
  /** Default true. */
  active?: boolean;
  expiresAt?: number;
  /** Default `["*"]`. */
  allowedProviders?: string[];
  /** Default `["*"]`. */
  allowedModels?: string[];
  /** Default `["*"]`. */
  allowedProviderKeys?: string[];
  /** Default false. */
  logContent?: boolean;
  mcpTools?: string[];
  /** Fallback chain (model references). Default `[]`. */
  fallbacks?: string[];
}

/** Fields of a virtual key that can change. `null` clears an optional field. */
export interface VirtualKeyPatch {
  name?: string;
  teamId?: string | null;
  customerId?: string | null;
  active?: boolean;
  expiresAt?: number | null;
  allowedProviders?: string[];
  allowedModels?: string[];
  allowedProviderKeys?: string[];
  logContent?: boolean;
  mcpTools?: string[] | null;
  fallbacks?: string[];
}

function toVirtualKey(row: Selectable<VirtualKeyTable>): VirtualKeyRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    keyPrefix: row.key_prefix,
    teamId: optional(row.team_id),
    customerId: optional(row.customer_id),
    active: row.active === 1,
    expiresAt: optional(row.expires_at),
    revokedAt: optional(row.revoked_at),
    allowedProviders: parseStringArray(row.allowed_providers, []),
    allowedModels: parseStringArray(row.allowed_models, []),
    allowedProviderKeys: parseStringArray(row.allowed_provider_keys, []),
    logContent: row.log_content === 1,
    mcpTools: row.mcp_tools === null ? undefined : parseStringArray(row.mcp_tools, []),
    fallbacks: parseStringArray(row.fallbacks, []),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function checkSecretHash(secretHash: string): void {
  if (!/^[0-9a-f]{64}$/.test(secretHash)) throw new InvalidValueStorageError('virtual key: secret hash must be 64 lower-case hex characters');
}

/** Virtual keys. Names and secret hashes are unique. */
export class VirtualKeyRepository {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock,
  ) {}

  /**
   * @throws ConflictStorageError when the name or the secret is taken, or the team/customer does not exist
   * @throws InvalidValueStorageError when both a team and a customer are given, or the hash is malformed
   */
  async create(input: NewVirtualKey): Promise<VirtualKeyRecord> {
    checkSecretHash(input.secretHash);
    if (input.teamId !== undefined && input.customerId !== undefined) {
      throw new InvalidValueStorageError(`virtual key '${input.name}': belongs to a team or a customer, not both`);
    }
    const now = this.clock();
    const row: Selectable<VirtualKeyTable> = {
      id: randomUUID(),
      name: input.name,
      secret_hash: input.secretHash,
      key_prefix: input.keyPrefix,
      team_id: nullable(input.teamId),
      customer_id: nullable(input.customerId),
      active: input.active === false ? 0 : 1,
      expires_at: nullable(input.expiresAt),
      revoked_at: null,
      allowed_providers: JSON.stringify(input.allowedProviders ?? ['*']),
      allowed_models: JSON.stringify(input.allowedModels ?? ['*']),
      allowed_provider_keys: JSON.stringify(input.allowedProviderKeys ?? ['*']),
      log_content: input.logContent === true ? 1 : 0,
      mcp_tools: input.mcpTools === undefined ? null : JSON.stringify(input.mcpTools),
      fallbacks: JSON.stringify(input.fallbacks ?? []),
      created_at: now,
      updated_at: now,
    };
    await guardedWrite('virtual key', `name '${input.name}' (or its secret) is taken`, () => this.database.insertInto('virtual_keys').values(row).execute());
    return toVirtualKey(row);
  }

  async get(id: string): Promise<VirtualKeyRecord | undefined> {
    const row = await this.database.selectFrom('virtual_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toVirtualKey(row);
  }

  async findByName(name: string): Promise<VirtualKeyRecord | undefined> {
    const row = await this.database.selectFrom('virtual_keys').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toVirtualKey(row);
  }

  /** The key whose secret hashes to `secretHash` (lower-case hex), if any. */
  async findBySecretHash(secretHash: string): Promise<VirtualKeyRecord | undefined> {
    const row = await this.database.selectFrom('virtual_keys').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst();
    return row === undefined ? undefined : toVirtualKey(row);
  }

  /** Every key (of one team or customer when given), by name. */
  async list(filter: { teamId?: string; customerId?: string } = {}): Promise<VirtualKeyRecord[]> {
    let query = this.database.selectFrom('virtual_keys').selectAll();
    if (filter.teamId !== undefined) query = query.where('team_id', '=', filter.teamId);
    if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
    const rows = await query.orderBy('name').execute();
    return rows.map(toVirtualKey);
  }

  /**
   * @throws NotFoundStorageError when there is no such key
   * @throws ConflictStorageError when the new name is taken or the team/customer does not exist
   * @throws InvalidValueStorageError when the key would belong to both a team and a customer
   */
  async update(id: string, patch: VirtualKeyPatch): Promise<VirtualKeyRecord> {
    return inTransaction(this.database, async (transaction) => {
      const current = await transaction.selectFrom('virtual_keys').selectAll().where('id', '=', id).executeTakeFirst();
      if (current === undefined) throw new NotFoundStorageError('virtual key', id);
      const teamId = patch.teamId === undefined ? current.team_id : patch.teamId;
      const customerId = patch.customerId === undefined ? current.customer_id : patch.customerId;
      if (teamId !== null && customerId !== null) {
        throw new InvalidValueStorageError(`virtual key '${current.name}': belongs to a team or a customer, not both`);
      }
      const changes: Updateable<VirtualKeyTable> = { updated_at: this.clock() };
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.teamId !== undefined) changes.team_id = patch.teamId;
      if (patch.customerId !== undefined) changes.customer_id = patch.customerId;
      if (patch.active !== undefined) changes.active = patch.active ? 1 : 0;
      if (patch.expiresAt !== undefined) changes.expires_at = patch.expiresAt;
      if (patch.allowedProviders !== undefined) changes.allowed_providers = JSON.stringify(patch.allowedProviders);
      if (patch.allowedModels !== undefined) changes.allowed_models = JSON.stringify(patch.allowedModels);
      if (patch.allowedProviderKeys !== undefined) changes.allowed_provider_keys = JSON.stringify(patch.allowedProviderKeys);
      if (patch.logContent !== undefined) changes.log_content = patch.logContent ? 1 : 0;
      if (patch.mcpTools !== undefined) changes.mcp_tools = patch.mcpTools === null ? null : JSON.stringify(patch.mcpTools);
      if (patch.fallbacks !== undefined) changes.fallbacks = JSON.stringify(patch.fallbacks);
      await guardedWrite('virtual key', `name '${patch.name ?? ''}' is taken`, () =>
        transaction.updateTable('virtual_keys').set(changes).where('id', '=', id).execute(),
      );
      const updated = await transaction.selectFrom('virtual_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toVirtualKey(updated);
    });
  }

  /**
   * Replaces the key's secret (rotation): the old secret stops working.
   * @throws NotFoundStorageError when there is no such key
   * @throws ConflictStorageError when the new secret is taken
   */
  async replaceSecret(id: string, secretHash: string, keyPrefix: string): Promise<VirtualKeyRecord> {
    checkSecretHash(secretHash);
    const result = await guardedWrite('virtual key', 'secret is taken', () =>
      this.database
        .updateTable('virtual_keys')
        .set({ secret_hash: secretHash, key_prefix: keyPrefix, updated_at: this.clock() })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('virtual key', id);
    return (await this.get(id)) as VirtualKeyRecord;
  }

  /**
   * Revokes a key for good (a revoked key cannot be reactivated; issue a new one). Revoking twice
   * keeps the first time.
   * @throws NotFoundStorageError when there is no such key
   */
  async revoke(id: string): Promise<VirtualKeyRecord> {
    const now = this.clock();
    const result = await this.database
      .updateTable('virtual_keys')
      .set((expression) => ({ revoked_at: expression.fn.coalesce('revoked_at', expression.val(now)), active: 0, updated_at: now }))
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('virtual key', id);
    return (await this.get(id)) as VirtualKeyRecord;
  }

  /**
   * Deletes a key and its budgets and rate limits (its usage records stay, for reporting).
   * @throws NotFoundStorageError when there is no such key
   */
  async delete(id: string): Promise<void> {
    await inTransaction(this.database, async (transaction) => {
      await deleteOwnedLimits(transaction, 'virtual_key', id);
      const result = await transaction.deleteFrom('virtual_keys').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFoundStorageError('virtual key', id);
    });
  }
}
