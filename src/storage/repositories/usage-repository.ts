import type { Kysely } from 'kysely';
import type { HeimdallDatabase, OwnerType } from '../database-schema.js';
import type { OwnerReference, UsageRecord } from '../records.js';
import { nullable } from './repository-support.js';

/** Rows per INSERT statement (keeps under SQLite's bound-parameter limit). */
const INSERT_CHUNK_ROWS = 500;

const OWNER_COLUMNS = { customer: 'customer_id', team: 'team_id', virtual_key: 'virtual_key_id' } as const satisfies Record<OwnerType, string>;

/** Totals over usage records. Tokens in tokens; cost in integer micro-USD. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costMicroUsd: number;
}

/**
 * Usage records: one row per settled request. They make spend durable (budget windows are rebuilt
 * from them when the counter store has no value, e.g. after a restart with in-memory counters) and
 * feed reports.
 */
export class UsageRepository {
  constructor(private readonly database: Kysely<HeimdallDatabase>) {}

  /** Inserts records in batches. */
  async insertMany(records: readonly UsageRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += INSERT_CHUNK_ROWS) {
      const rows = records.slice(start, start + INSERT_CHUNK_ROWS).map((record) => ({
        id: record.id,
        created_at: record.createdAt,
        virtual_key_id: nullable(record.virtualKeyId),
        team_id: nullable(record.teamId),
        customer_id: nullable(record.customerId),
        provider: record.provider,
        model: record.model,
        input_tokens: record.inputTokens,
        output_tokens: record.outputTokens,
        cache_read_tokens: record.cacheReadTokens,
        cache_write_tokens: record.cacheWriteTokens,
        cost_micro_usd: record.costMicroUsd,
        priced: record.priced ? 1 : 0,
      }));
      await this.database.insertInto('usage_records').values(rows).execute();
    }
  }

  /**
   * Cost recorded for an owner in `[fromMs, toMs)`, integer micro-USD.
   */
  async sumCostMicroUsd(owner: OwnerReference, fromMs: number, toMs: number): Promise<number> {
    const row = await this.database
      .selectFrom('usage_records')
      .select((expression) => expression.fn.sum<number | null>('cost_micro_usd').as('total'))
      .where(OWNER_COLUMNS[owner.type], '=', owner.id)
      .where('created_at', '>=', fromMs)
      .where('created_at', '<', toMs)
      .executeTakeFirst();
    return Number(row?.total ?? 0);
  }

  /** Totals over `[fromMs, toMs)`, for one owner when given. */
  async totals(filter: { owner?: OwnerReference; fromMs: number; toMs: number }): Promise<UsageTotals> {
    let query = this.database
      .selectFrom('usage_records')
      .select((expression) => [
        expression.fn.countAll<number>().as('requests'),
        expression.fn.sum<number | null>('input_tokens').as('input_tokens'),
        expression.fn.sum<number | null>('output_tokens').as('output_tokens'),
        expression.fn.sum<number | null>('cache_read_tokens').as('cache_read_tokens'),
        expression.fn.sum<number | null>('cache_write_tokens').as('cache_write_tokens'),
        expression.fn.sum<number | null>('cost_micro_usd').as('cost_micro_usd'),
      ])
      .where('created_at', '>=', filter.fromMs)
      .where('created_at', '<', filter.toMs);
    if (filter.owner !== undefined) query = query.where(OWNER_COLUMNS[filter.owner.type], '=', filter.owner.id);
    const row = await query.executeTakeFirst();
    return {
      requests: Number(row?.requests ?? 0),
      inputTokens: Number(row?.input_tokens ?? 0),
      outputTokens: Number(row?.output_tokens ?? 0),
      cacheReadTokens: Number(row?.cache_read_tokens ?? 0),
      cacheWriteTokens: Number(row?.cache_write_tokens ?? 0),
      costMicroUsd: Number(row?.cost_micro_usd ?? 0),
    };
  }
}

/** The `config_seed_state` table: which config entries were seeded, with what content hash. */
export class SeedStateRepository {
  constructor(private readonly database: Kysely<HeimdallDatabase>) {}

  /** The hash last seeded for an entry, if it was ever seeded. */
  async getHash(entityType: string, name: string): Promise<string | undefined> {
    const row = await this.database
      .selectFrom('config_seed_state')
      .select('config_hash')
      .where('entity_type', '=', entityType)
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.config_hash;
  }

  /** Records that an entry was seeded with `hash` at `seededAt` (ms). */
  async setHash(entityType: string, name: string, hash: string, seededAt: number): Promise<void> {
    await this.database
      .insertInto('config_seed_state')
      .values({ entity_type: entityType, name, config_hash: hash, seeded_at: seededAt })
      .onConflict((conflict) => conflict.columns(['entity_type', 'name']).doUpdateSet({ config_hash: hash, seeded_at: seededAt }))
      .execute();
  }
}

/** The `settings` table: small named values (e.g. the encryption key check). */
export class SettingsRepository {
  constructor(private readonly database: Kysely<HeimdallDatabase>) {}

  async get(name: string): Promise<string | undefined> {
    const row = await this.database.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  /**
   * Stores `value` unless the setting exists.
   * @returns the value now stored (the existing one when there was one)
   */
  async setIfAbsent(name: string, value: string): Promise<string> {
    await this.database.insertInto('settings').values({ name, value }).onConflict((conflict) => conflict.column('name').doNothing()).execute();
    return (await this.get(name)) as string;
  }
}
