import { sql } from 'kysely';
import type { HeimdallConfig, ProviderConfig, ProviderKeyConfig } from '../config/config-schema.js';
import { ConfigError, resolveSecret } from '../config/load-config.js';
import type { HeimdallStore, StoreRepositories } from '../storage/heimdall-store.js';
import type { OwnerReference, ProviderTimeoutsRecord } from '../storage/records.js';
import type { BudgetConfig, RateLimitConfig, VirtualKeyConfig } from './governance-config-schema.js';
import { hashVirtualKeySecret, isWellFormedVirtualKey, virtualKeyDisplayPrefix } from './virtual-key-secret.js';

/**
 * Seeding the store from the config file, at start.
 *
 * Which side wins: the store is the source of truth once seeded (the admin API edits it). A config
 * entry (provider, customer, team, virtual key) is written to the store only when it is new or its
 * content changed in the file since it was last seeded, tracked per entry by a fingerprint (HMAC
 * under the master key, over the entry with its `env.NAME` secrets resolved, so that a changed
 * environment variable counts as a change). Then the file wins for that entry: it is upserted by
 * name, and its budgets, rate limits and provider keys become exactly those of the file. An entry
 * left unchanged in the file keeps whatever the admin API did to it; an entry removed from the file
 * is left in the store (delete it through the admin API). A revoked key stays revoked.
 *
 * Seeding runs in one transaction (under an advisory lock on PostgreSQL, so replicas starting
 * together seed once).
 */

/** One config entry's fate. */
export interface SeedAction {
  entity: 'provider' | 'customer' | 'team' | 'virtual_key';
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** Arbitrary constant of the advisory lock held while seeding (PostgreSQL). */
const SEED_LOCK_ID = 7_311_978_001;

/** JSON with object keys sorted, so equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${field}: must be an object of strings`);
  const record: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new ConfigError(`${field}.${key}: must be a string`);
    record[key] = item;
  }
  return record;
}

/** A provider entry, split into the store's common fields and kind-specific options; secrets resolved. */
interface ResolvedProvider {
  name: string;
  type: string;
  baseUrl?: string;
  headers: Record<string, string>;
  models: string[];
  maxOutputTokens?: number;
  timeouts: ProviderTimeoutsRecord;
  options: Record<string, unknown>;
  keys: Array<{ name: string; value: string; weight: number; models: string[]; deployments: Record<string, string>; options: Record<string, unknown> }>;
}

function resolveProvider(name: string, config: ProviderConfig, environment: NodeJS.ProcessEnv): ResolvedProvider {
  const field = `providers.${name}`;
  const { type, base_url: baseUrl, keys, headers, models, max_output_tokens: maxOutputTokens, timeouts, ...options } = config;
  const resolvedHeaders: Record<string, string> = {};
  for (const [header, value] of Object.entries(headers ?? {})) resolvedHeaders[header.toLowerCase()] = resolveSecret(value, `${field}.headers.${header}`, environment);
  return {
    name,
    type: type ?? name,
    baseUrl: baseUrl?.replace(/\/+$/, ''),
    headers: resolvedHeaders,
    models: models ?? [],
    maxOutputTokens,
    timeouts: { connectMs: timeouts?.connect_ms, firstByteMs: timeouts?.first_byte_ms, idleMs: timeouts?.idle_ms },
    options: { ...options },
    keys: (keys ?? []).map((key: ProviderKeyConfig, index) => {
      const { name: keyName, value, weight, models: keyModels, ...rest } = key;
      const { deployments, ...keyOptions } = rest as Record<string, unknown>;
      return {
        name: keyName ?? `${name}-key-${index + 1}`,
        value: resolveSecret(value, `${field}.keys.${index}.value`, environment),
        weight: weight ?? 1,
        models: keyModels ?? ['*'],
        deployments: stringRecord(deployments, `${field}.keys.${index}.deployments`),
        options: keyOptions,
      };
    }),
  };
}

/** Makes an owner's budgets exactly `configs` (matched by period). */
async function syncBudgets(repositories: StoreRepositories, owner: OwnerReference, configs: readonly BudgetConfig[], field: string): Promise<void> {
  const periods = new Set<string>();
  for (const config of configs) {
    if (periods.has(config.period)) throw new ConfigError(`${field}.budgets: two budgets with period ${config.period}`);
    periods.add(config.period);
  }
  const existing = await repositories.budgets.listForOwners([owner]);
  for (const budget of existing) if (!periods.has(budget.period)) await repositories.budgets.delete(budget.id);
  for (const config of configs) {
    const alignment = config.alignment ?? 'calendar';
    const current = existing.find((budget) => budget.period === config.period);
    if (current === undefined) await repositories.budgets.create({ owner, limitUsd: config.limit_usd, period: config.period, alignment });
    else if (current.limitUsd !== config.limit_usd || current.alignment !== alignment) {
      await repositories.budgets.update(current.id, { limitUsd: config.limit_usd, alignment });
    }
  }
}

/** Makes an owner's rate limits exactly `configs` (matched by provider scope and window). */
async function syncRateLimits(repositories: StoreRepositories, owner: OwnerReference, configs: readonly RateLimitConfig[], field: string): Promise<void> {
  const scopes = new Set<string>();
  for (const config of configs) {
    const scope = `${config.provider ?? '*'} ${config.window}`;
    if (scopes.has(scope)) throw new ConfigError(`${field}.rate_limits: two limits for provider ${config.provider ?? '*'} and window ${config.window}`);
    if (config.requests === undefined && config.tokens === undefined) throw new ConfigError(`${field}.rate_limits: give requests, tokens or both`);
    scopes.add(scope);
  }
  const existing = await repositories.rateLimits.listForOwners([owner]);
  for (const limit of existing) if (!scopes.has(`${limit.provider} ${limit.window}`)) await repositories.rateLimits.delete(limit.id);
  for (const config of configs) {
    const provider = config.provider ?? '*';
    const current = existing.find((limit) => limit.provider === provider && limit.window === config.window);
    if (current === undefined) {
      await repositories.rateLimits.create({ owner, provider, window: config.window, maxRequests: config.requests, maxTokens: config.tokens });
    } else if (current.maxRequests !== config.requests || current.maxTokens !== config.tokens) {
      await repositories.rateLimits.update(current.id, { maxRequests: config.requests ?? null, maxTokens: config.tokens ?? null });
    }
  }
}

interface ResolvedVirtualKey {
  secret: string;
  config: VirtualKeyConfig;
  expiresAt?: number;
}

function resolveVirtualKey(name: string, config: VirtualKeyConfig, environment: NodeJS.ProcessEnv): ResolvedVirtualKey {
  const field = `governance.virtual_keys.${name}`;
  const secret = resolveSecret(config.value, `${field}.value`, environment);
  if (!isWellFormedVirtualKey(secret)) {
    throw new ConfigError(`${field}.value: a virtual key must be "hk-" followed by at least 16 letters, digits, - or _ (generate one with: echo hk-$(openssl rand -hex 24))`);
  }
  if (config.team !== undefined && config.customer !== undefined) throw new ConfigError(`${field}: give team or customer, not both`);
  let expiresAt: number | undefined;
  if (config.expires_at !== undefined) {
    expiresAt = Date.parse(config.expires_at);
    if (!Number.isFinite(expiresAt)) throw new ConfigError(`${field}.expires_at: not a valid ISO 8601 time`);
  }
  return { secret, config, expiresAt };
}

/**
 * Seeds the store from the config's `providers` and `governance` sections (see the module comment
 * for which side wins).
 * @param clock ms since epoch, for seed times
 * @throws ConfigError naming the field (unset `env.NAME`, unknown team/customer, malformed key, duplicates)
 * @throws StorageError when the database fails
 */
export async function seedStoreFromConfig(
  store: HeimdallStore,
  config: HeimdallConfig,
  environment: NodeJS.ProcessEnv = process.env,
  clock: () => number = Date.now,
): Promise<SeedAction[]> {
  // Resolve everything first: a missing variable fails before anything is written.
  const providers = Object.entries(config.providers ?? {}).map(([name, providerConfig]) => resolveProvider(name, providerConfig, environment));
  const governance = config.governance ?? {};
  const keys = Object.entries(governance.virtual_keys ?? {}).map(([name, keyConfig]) => [name, resolveVirtualKey(name, keyConfig, environment)] as const);

  return store.transaction(async (repositories, database) => {
    if (store.backend === 'postgres') await sql`select pg_advisory_xact_lock(${SEED_LOCK_ID})`.execute(database);
    const actions: SeedAction[] = [];
    const seeded = async (entity: SeedAction['entity'], name: string, content: unknown, apply: () => Promise<'created' | 'updated'>): Promise<void> => {
      const fingerprint = store.cipher.fingerprint(canonicalJson({ entity, name, content }));
      if ((await repositories.seedState.getHash(entity, name)) === fingerprint) {
        actions.push({ entity, name, action: 'unchanged' });
        return;
      }
      actions.push({ entity, name, action: await apply() });
      await repositories.seedState.setHash(entity, name, fingerprint, clock());
    };

    for (const provider of providers) {
      await seeded('provider', provider.name, provider, async () => {
        const fields = {
          name: provider.name,
          type: provider.type,
          baseUrl: provider.baseUrl,
          headers: provider.headers,
          models: provider.models,
          maxOutputTokens: provider.maxOutputTokens,
          timeouts: provider.timeouts,
          options: provider.options,
        };
        const existing = await repositories.providers.findByName(provider.name);
        const record =
          existing === undefined
            ? await repositories.providers.create(fields)
            : await repositories.providers.update(existing.id, { ...fields, baseUrl: provider.baseUrl ?? null, maxOutputTokens: provider.maxOutputTokens ?? null });
        const names = new Set(provider.keys.map((key) => key.name));
        if (names.size !== provider.keys.length) throw new ConfigError(`providers.${provider.name}.keys: two keys with the same name`);
        for (const key of record.keys) if (!names.has(key.name)) await repositories.providers.deleteKey(key.id);
        for (const key of provider.keys) {
          const current = record.keys.find((candidate) => candidate.name === key.name);
          if (current === undefined) await repositories.providers.addKey(record.id, key);
          else await repositories.providers.updateKey(current.id, key);
        }
        return existing === undefined ? 'created' : 'updated';
      });
    }

    for (const [name, customerConfig] of Object.entries(governance.customers ?? {})) {
      await seeded('customer', name, customerConfig, async () => {
        const existing = await repositories.customers.findByName(name);
        const customer = existing ?? (await repositories.customers.create({ name }));
        const owner: OwnerReference = { type: 'customer', id: customer.id };
        await syncBudgets(repositories, owner, customerConfig.budgets ?? [], `governance.customers.${name}`);
        await syncRateLimits(repositories, owner, customerConfig.rate_limits ?? [], `governance.customers.${name}`);
        return existing === undefined ? 'created' : 'updated';
      });
    }

    const customerId = async (customerName: string, field: string): Promise<string> => {
      const customer = await repositories.customers.findByName(customerName);
      if (customer === undefined) throw new ConfigError(`${field}: no customer named '${customerName}'`);
      return customer.id;
    };

    for (const [name, teamConfig] of Object.entries(governance.teams ?? {})) {
      await seeded('team', name, teamConfig, async () => {
        const field = `governance.teams.${name}`;
        const owningCustomer = teamConfig.customer === undefined ? null : await customerId(teamConfig.customer, `${field}.customer`);
        const existing = await repositories.teams.findByName(name);
        const team =
          existing === undefined
            ? await repositories.teams.create({ name, customerId: owningCustomer ?? undefined })
            : await repositories.teams.update(existing.id, { customerId: owningCustomer });
        const owner: OwnerReference = { type: 'team', id: team.id };
        await syncBudgets(repositories, owner, teamConfig.budgets ?? [], field);
        await syncRateLimits(repositories, owner, teamConfig.rate_limits ?? [], field);
        return existing === undefined ? 'created' : 'updated';
      });
    }

    for (const [name, resolved] of keys) {
      const { config: keyConfig, secret } = resolved;
      await seeded('virtual_key', name, { ...keyConfig, value: secret }, async () => {
        const field = `governance.virtual_keys.${name}`;
        let teamId: string | null = null;
        if (keyConfig.team !== undefined) {
          const team = await repositories.teams.findByName(keyConfig.team);
          if (team === undefined) throw new ConfigError(`${field}.team: no team named '${keyConfig.team}'`);
          teamId = team.id;
        }
        const ownerCustomerId = keyConfig.customer === undefined ? null : await customerId(keyConfig.customer, `${field}.customer`);
        const fields = {
          active: keyConfig.active ?? true,
          allowedProviders: keyConfig.allowed_providers ?? ['*'],
          allowedModels: keyConfig.allowed_models ?? ['*'],
          allowedProviderKeys: keyConfig.allowed_provider_keys ?? ['*'],
          logContent: keyConfig.log_content ?? false,
          fallbacks: keyConfig.fallbacks ?? [],
        };
        const secretHash = hashVirtualKeySecret(secret);
        const existing = await repositories.virtualKeys.findByName(name);
        let virtualKeyId: string;
        if (existing === undefined) {
          const created = await repositories.virtualKeys.create({
            name,
            secretHash,
            keyPrefix: virtualKeyDisplayPrefix(secret),
            teamId: teamId ?? undefined,
            customerId: ownerCustomerId ?? undefined,
            expiresAt: resolved.expiresAt,
            ...fields,
          });
          virtualKeyId = created.id;
        } else {
          virtualKeyId = existing.id;
          // Detach first so that moving between a team and a customer never holds both.
          await repositories.virtualKeys.update(existing.id, { teamId: null, customerId: null });
          await repositories.virtualKeys.update(existing.id, { teamId, customerId: ownerCustomerId, expiresAt: resolved.expiresAt ?? null, ...fields });
          if (existing.secretHash !== secretHash) await repositories.virtualKeys.replaceSecret(existing.id, secretHash, virtualKeyDisplayPrefix(secret));
        }
        const owner: OwnerReference = { type: 'virtual_key', id: virtualKeyId };
        await syncBudgets(repositories, owner, keyConfig.budgets ?? [], field);
        await syncRateLimits(repositories, owner, keyConfig.rate_limits ?? [], field);
        return existing === undefined ? 'created' : 'updated';
      });
    }
    return actions;
  });
}
