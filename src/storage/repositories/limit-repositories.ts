import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { BudgetTable, HeimdallDatabase, OwnerType, RateLimitTable } from '../database-schema.js';
import {
  ALL_PROVIDERS,
  isBudgetAlignment,
  isBudgetPeriod,
  rateLimitWindowMs,
  type BudgetAlignment,
  type BudgetPeriod,
  type BudgetRecord,
  type OwnerReference,
  type RateLimitRecord,
} from '../records.js';
import { InvalidValueStorageError, NotFoundStorageError } from '../storage-errors.js';
import { guardedWrite, nullable, optional, type Clock } from './repository-support.js';

const OWNER_TABLES = { customer: 'customers', team: 'teams', virtual_key: 'virtual_keys' } as const;

/** @throws NotFoundStorageError when the owner does not exist */
async function checkOwnerExists(database: Kysely<HeimdallDatabase>, owner: OwnerReference): Promise<void> {
  const table = OWNER_TABLES[owner.type];
  const row = await database.selectFrom(table).select('id').where('id', '=', owner.id).executeTakeFirst();
  if (row === undefined) throw new NotFoundStorageError(owner.type.replace('_', ' '), owner.id);
}

function checkLimitUsd(limitUsd: number): void {
  if (!(Number.isFinite(limitUsd) && limitUsd >= 0)) throw new InvalidValueStorageError('budget: limit_usd must be a number >= 0');
}

function toBudget(row: Selectable<BudgetTable>): BudgetRecord {
  // Rows are written through this repository, which validates both fields.
  const period: BudgetPeriod = isBudgetPeriod(row.period) ? row.period : '1M';
  const alignment: BudgetAlignment = isBudgetAlignment(row.alignment) ? row.alignment : 'calendar';
  return {
    id: row.id,
    owner: { type: row.owner_type, id: row.owner_id },
    limitUsd: row.limit_usd,
    period,
    alignment,
    anchorAt: row.anchor_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A new budget: a USD limit per period on a customer, team or virtual key (one per owner and period). */
export interface NewBudget {
  owner: OwnerReference;
  /** USD per period, >= 0 (0 blocks every priced request). */
  limitUsd: number;
  period: BudgetPeriod;
  /** Default `calendar`. */
  alignment?: BudgetAlignment;
}

/** Groups `owners` by type, for `where owner_type = … and owner_id in (…)` queries. */
function ownersByType(owners: readonly OwnerReference[]): Array<[OwnerType, string[]]> {
  const grouped = new Map<OwnerType, string[]>();
  for (const owner of owners) grouped.set(owner.type, [...(grouped.get(owner.type) ?? []), owner.id]);
  return [...grouped.entries()];
}

/** Budgets. At most one per owner and period. */
export class BudgetRepository {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock,
  ) {}

  /**
   * @throws NotFoundStorageError when the owner does not exist
   * @throws ConflictStorageError when the owner already has a budget for that period
   * @throws InvalidValueStorageError for a negative limit or an unknown period/alignment
   */
  async create(input: NewBudget): Promise<BudgetRecord> {
    checkLimitUsd(input.limitUsd);
    if (!isBudgetPeriod(input.period)) throw new InvalidValueStorageError(`budget: unknown period '${String(input.period)}'`);
    const alignment = input.alignment ?? 'calendar';
    if (!isBudgetAlignment(alignment)) throw new InvalidValueStorageError(`budget: unknown alignment '${String(alignment)}'`);
    await checkOwnerExists(this.database, input.owner);
    const now = this.clock();
    const row: Selectable<BudgetTable> = {
      id: randomUUID(),
      owner_type: input.owner.type,
      owner_id: input.owner.id,
      limit_usd: input.limitUsd,
      period: input.period,
      alignment,
      anchor_at: now,
      created_at: now,
      updated_at: now,
    };
    await guardedWrite('budget', `the ${input.owner.type.replace('_', ' ')} already has a ${input.period} budget`, () =>
      this.database.insertInto('budgets').values(row).execute(),
    );
    return toBudget(row);
  }

  async get(id: string): Promise<BudgetRecord | undefined> {
    const row = await this.database.selectFrom('budgets').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toBudget(row);
  }

  /** The budgets of every owner given, in no particular order. */
  async listForOwners(owners: readonly OwnerReference[]): Promise<BudgetRecord[]> {
    const found: BudgetRecord[] = [];
    for (const [type, ids] of ownersByType(owners)) {
      const rows = await this.database.selectFrom('budgets').selectAll().where('owner_type', '=', type).where('owner_id', 'in', ids).execute();
      found.push(...rows.map(toBudget));
    }
    return found;
  }

  /** Every budget. */
  async list(): Promise<BudgetRecord[]> {
    const rows = await this.database.selectFrom('budgets').selectAll().orderBy('created_at').execute();
    return rows.map(toBudget);
  }

  /**
   * Changes a budget. A new limit applies to the current window at once; a new period or alignment
   * starts a new window (spend so far in it is counted from the usage records).
   * @throws NotFoundStorageError when there is no such budget
   * @throws ConflictStorageError when the owner already has a budget for the new period
   * @throws InvalidValueStorageError for a negative limit or an unknown period/alignment
   */
  async update(id: string, patch: { limitUsd?: number; period?: BudgetPeriod; alignment?: BudgetAlignment }): Promise<BudgetRecord> {
    const changes: Updateable<BudgetTable> = { updated_at: this.clock() };
    if (patch.limitUsd !== undefined) {
      checkLimitUsd(patch.limitUsd);
      changes.limit_usd = patch.limitUsd;
    }
    if (patch.period !== undefined) {
      if (!isBudgetPeriod(patch.period)) throw new InvalidValueStorageError(`budget: unknown period '${String(patch.period)}'`);
      changes.period = patch.period;
    }
    if (patch.alignment !== undefined) {
      if (!isBudgetAlignment(patch.alignment)) throw new InvalidValueStorageError(`budget: unknown alignment '${String(patch.alignment)}'`);
      changes.alignment = patch.alignment;
    }
    const result = await guardedWrite('budget', 'the owner already has a budget for that period', () =>
      this.database.updateTable('budgets').set(changes).where('id', '=', id).executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('budget', id);
    return (await this.get(id)) as BudgetRecord;
  }

  /**
   * Resets a budget now: its current window starts over at zero spend (rolling windows restart from
   * now; calendar windows count from now until the next boundary).
   * @throws NotFoundStorageError when there is no such budget
   */
  async reset(id: string): Promise<BudgetRecord> {
    const now = this.clock();
    const result = await this.database.updateTable('budgets').set({ anchor_at: now, updated_at: now }).where('id', '=', id).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('budget', id);
    return (await this.get(id)) as BudgetRecord;
  }

  /** @throws NotFoundStorageError when there is no such budget */
  async delete(id: string): Promise<void> {
    const result = await this.database.deleteFrom('budgets').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundStorageError('budget', id);
  }
}

function toRateLimit(row: Selectable<RateLimitTable>): RateLimitRecord {
  return {
    id: row.id,
    owner: { type: row.owner_type, id: row.owner_id },
    provider: row.provider,
    window: row.window_length,
    windowMs: rateLimitWindowMs(row.window_length) ?? 60_000,
    maxRequests: optional(row.max_requests),
    maxTokens: optional(row.max_tokens),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A new rate limit: requests and/or tokens per window, on all providers or one. */
export interface NewRateLimit {
  owner: OwnerReference;
  /** Provider instance name; default `*` (all providers together). */
  provider?: string;
  /** `<n>s|m|h|d`, e.g. `1m`. */
  window: string;
  /** Requests per window, integer >= 1. */
  maxRequests?: number;
  /** Tokens per window, integer >= 1. */
  maxTokens?: number;
}

function checkRateLimit(window: string, maxRequests: number | undefined, maxTokens: number | undefined): void {
  if (rateLimitWindowMs(window) === undefined) {
    throw new InvalidValueStorageError(`rate limit: window '${window}' is not <n>s, <n>m, <n>h or <n>d`);
  }
  if (maxRequests === undefined && maxTokens === undefined) throw new InvalidValueStorageError('rate limit: give requests, tokens or both');
  for (const [field, value] of [
    ['requests', maxRequests],
    ['tokens', maxTokens],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new InvalidValueStorageError(`rate limit: ${field} must be an integer >= 1`);
  }
}

/** Rate limits. At most one per owner, provider scope and window length. */
export class RateLimitRepository {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock,
  ) {}

  /**
   * @throws NotFoundStorageError when the owner does not exist
   * @throws ConflictStorageError when the owner already has a limit for that provider and window
   * @throws InvalidValueStorageError for a bad window or limits
   */
  async create(input: NewRateLimit): Promise<RateLimitRecord> {
    checkRateLimit(input.window, input.maxRequests, input.maxTokens);
    await checkOwnerExists(this.database, input.owner);
    const now = this.clock();
    const row: Selectable<RateLimitTable> = {
      id: randomUUID(),
      owner_type: input.owner.type,
      owner_id: input.owner.id,
      provider: input.provider ?? ALL_PROVIDERS,
      window_length: input.window,
      max_requests: nullable(input.maxRequests),
      max_tokens: nullable(input.maxTokens),
      created_at: now,
      updated_at: now,
    };
    await guardedWrite('rate limit', `the owner already has a ${input.window} limit for provider '${row.provider}'`, () =>
      this.database.insertInto('rate_limits').values(row).execute(),
    );
    return toRateLimit(row);
  }

  async get(id: string): Promise<RateLimitRecord | undefined> {
    const row = await this.database.selectFrom('rate_limits').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRateLimit(row);
  }

  /** The rate limits of every owner given, in no particular order. */
  async listForOwners(owners: readonly OwnerReference[]): Promise<RateLimitRecord[]> {
    const found: RateLimitRecord[] = [];
    for (const [type, ids] of ownersByType(owners)) {
      const rows = await this.database.selectFrom('rate_limits').selectAll().where('owner_type', '=', type).where('owner_id', 'in', ids).execute();
      found.push(...rows.map(toRateLimit));
    }
    return found;
  }

  /** Every rate limit. */
  async list(): Promise<RateLimitRecord[]> {
    const rows = await this.database.selectFrom('rate_limits').selectAll().orderBy('created_at').execute();
    return rows.map(toRateLimit);
  }

  /**
   * Changes the limits (the window and scope identify the limit and do not change). `null` removes
   * one of the two limits; at least one must remain.
   * @throws NotFoundStorageError when there is no such rate limit
   * @throws InvalidValueStorageError for bad limits
   */
  async update(id: string, patch: { maxRequests?: number | null; maxTokens?: number | null }): Promise<RateLimitRecord> {
    const current = await this.get(id);
    if (current === undefined) throw new NotFoundStorageError('rate limit', id);
    const maxRequests = patch.maxRequests === undefined ? current.maxRequests : optional(patch.maxRequests);
    const maxTokens = patch.maxTokens === undefined ? current.maxTokens : optional(patch.maxTokens);
    checkRateLimit(current.window, maxRequests, maxTokens);
    await this.database
      .updateTable('rate_limits')
      .set({ max_requests: nullable(maxRequests), max_tokens: nullable(maxTokens), updated_at: this.clock() })
      .where('id', '=', id)
      .execute();
    return (await this.get(id)) as RateLimitRecord;
  }

  /** @throws NotFoundStorageError when there is no such rate limit */
  async delete(id: string): Promise<void> {
    const result = await this.database.deleteFrom('rate_limits').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundStorageError('rate limit', id);
  }
}
