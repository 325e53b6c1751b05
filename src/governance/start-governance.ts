import type { Redis } from 'ioredis';
import type { HeimdallConfig, ProviderConfig } from '../config/config-schema.js';
import { resolveSecret, validateConfigObject } from '../config/load-config.js';
import { LocalChangeNotifier, RedisChangeNotifier, type ChangeNotifier } from '../storage/counters/change-notifier.js';
import type { CounterStore } from '../storage/counters/counter-store.js';
import { MemoryCounterStore } from '../storage/counters/memory-counter-store.js';
import { RedisCounterStore } from '../storage/counters/redis-counter-store.js';
import { loadOrCreateEncryptionKey, type EncryptionKeySource } from '../storage/encryption.js';
import { openHeimdallStore, type HeimdallStore } from '../storage/heimdall-store.js';
import { redactUrl } from '../storage/open-database.js';
import type { ProviderRecord } from '../storage/records.js';
import { systemClock, type Clock } from '../storage/repositories/repository-support.js';
import { CostCalculator, type ModelPrice } from './cost-calculator.js';
import { GovernanceAdmin } from './governance-admin.js';
import { GovernanceService, type GovernanceSettings } from './governance-service.js';
import { seedStoreFromConfig, type SeedAction } from './seed-from-config.js';

/** Environment variable naming the database when the config does not (`postgres://…`). */
export const DATABASE_URL_VARIABLE = 'HEIMDALL_DATABASE_URL';
/** Environment variable naming the Redis server when the config does not (`redis://…`). */
export const REDIS_URL_VARIABLE = 'HEIMDALL_REDIS_URL';
/** Default prefix of Heimdall's Redis keys. */
export const DEFAULT_REDIS_KEY_PREFIX = 'heimdall:';

/** What {@link startGovernance} needs. */
export interface StartGovernanceOptions {
  config: HeimdallConfig;
  /** The app directory: default SQLite file and `encryption.key` live here. */
  appDirectory: string;
  environment?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Operational warnings (never secrets). Default `console.warn`. */
  log?: (line: string) => void;
  /** Seed the store from the config (default true). */
  seed?: boolean;
}

/** Storage and governance, running. */
export interface RunningGovernance {
  /** The request path's entry point. */
  service: GovernanceService;
  /** The admin API's entry point. */
  admin: GovernanceAdmin;
  store: HeimdallStore;
  counters: CounterStore;
  notifier: ChangeNotifier;
  /** The shared Redis when configured (URL, key prefix, the counters' open connection), for other cross-replica channels such as the request-log tail. */
  redis?: { url: string; keyPrefix: string; connection: Redis };
  costs: CostCalculator;
  /** What seeding did to each config entry. */
  seedActions: SeedAction[];
  encryptionKeySource: EncryptionKeySource;
  /** One line for the start banner, without secrets: `sqlite /path/heimdall.db; counters in memory`. */
  description: string;
  /**
   * The providers in the store, as config entries (secrets decrypted), ready for
   * `buildGatewaySettings({ ...config, providers })`.
   * @throws ConfigError when a stored provider no longer fits the config schema
   */
  storedProviderConfigs(): Promise<Record<string, ProviderConfig>>;
  /** Writes buffered usage, then closes the notifier, counters and database. */
  close(): Promise<void>;
}

/** The settings of the config's `governance` section, defaults filled in. */
export function governanceSettingsFromConfig(config: HeimdallConfig): Partial<GovernanceSettings> {
  const governance = config.governance ?? {};
  return {
    ...(governance.enforce_auth_on_inference === undefined ? {} : { enforceAuthOnInference: governance.enforce_auth_on_inference }),
    ...(governance.auth_cache_ttl_ms === undefined ? {} : { authCacheTtlMs: governance.auth_cache_ttl_ms }),
    ...(governance.reservation_ttl_ms === undefined ? {} : { reservationTtlMs: governance.reservation_ttl_ms }),
  };
}

/** The config's `pricing` section as cost-calculator overrides. */
export function priceOverridesFromConfig(config: HeimdallConfig): Record<string, ModelPrice> {
  const overrides: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(config.pricing ?? {})) {
    overrides[model] = {
      inputPerMillionTokensUsd: price.input_per_mtok,
      outputPerMillionTokensUsd: price.output_per_mtok,
      cacheReadPerMillionTokensUsd: price.cache_read_per_mtok,
      cacheWritePerMillionTokensUsd: price.cache_write_per_mtok,
    };
  }
  return overrides;
}

/** A stored provider as a config entry (the inverse of seeding). */
export function providerConfigFromRecord(provider: ProviderRecord): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(provider.headers)) headers[name] = value.reveal();
  const timeouts = {
    ...(provider.timeouts.connectMs === undefined ? {} : { connect_ms: provider.timeouts.connectMs }),
    ...(provider.timeouts.firstByteMs === undefined ? {} : { first_byte_ms: provider.timeouts.firstByteMs }),
    ...(provider.timeouts.idleMs === undefined ? {} : { idle_ms: provider.timeouts.idleMs }),
  };
  return {
    ...provider.options,
    type: provider.type,
    ...(provider.baseUrl === undefined ? {} : { base_url: provider.baseUrl }),
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
    ...(provider.models.length === 0 ? {} : { models: provider.models }),
    ...(provider.maxOutputTokens === undefined ? {} : { max_output_tokens: provider.maxOutputTokens }),
    ...(Object.keys(timeouts).length === 0 ? {} : { timeouts }),
    keys: provider.keys.map((key) => ({
      ...key.options,
      name: key.name,
      value: key.value.reveal(),
      weight: key.weight,
      models: key.models,
      ...(Object.keys(key.deployments).length === 0 ? {} : { deployments: key.deployments }),
    })),
  };
}

/**
 * Opens the store (SQLite in the app directory, or PostgreSQL from `storage.database_url` /
 * `HEIMDALL_DATABASE_URL`), runs migrations, loads or creates the encryption key, seeds the store
 * from the config, connects the counters (Redis from `storage.redis_url` / `HEIMDALL_REDIS_URL`,
 * else memory) and the change notifier, and builds the governance service and admin.
 *
 * @throws ConfigError for an unset `env.NAME` or a bad seeding entry
 * @throws StorageError when the database or Redis cannot be reached, or a migration fails
 * @throws EncryptionStorageError for a malformed or mismatched encryption key
 */
export async function startGovernance(options: StartGovernanceOptions): Promise<RunningGovernance> {
  const environment = options.environment ?? process.env;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((line: string) => console.warn(line));
  const { config } = options;
  const databaseUrlSetting = config.storage?.database_url;
  const databaseUrl =
    databaseUrlSetting !== undefined ? resolveSecret(databaseUrlSetting, 'storage.database_url', environment) : environment[DATABASE_URL_VARIABLE] || undefined;
  const redisUrlSetting = config.storage?.redis_url;
  const redisUrl = redisUrlSetting !== undefined ? resolveSecret(redisUrlSetting, 'storage.redis_url', environment) : environment[REDIS_URL_VARIABLE] || undefined;
  const keyPrefix = config.storage?.redis_key_prefix ?? DEFAULT_REDIS_KEY_PREFIX;

  const encryptionKey = loadOrCreateEncryptionKey(options.appDirectory, environment);
  const store = await openHeimdallStore({ url: databaseUrl, appDirectory: options.appDirectory, encryptionKey: encryptionKey.key, clock });
  const opened: Array<{ close(): Promise<void> }> = [store];
  try {
    const seedActions = options.seed === false ? [] : await seedStoreFromConfig(store, config, environment, clock);
    let counters: CounterStore;
    let notifier: ChangeNotifier;
    let redis: RunningGovernance['redis'];
    if (redisUrl === undefined) {
      counters = new MemoryCounterStore();
      notifier = new LocalChangeNotifier();
    } else {
      const redisCounters = await RedisCounterStore.connect({ url: redisUrl, keyPrefix, log });
      opened.unshift(redisCounters);
      counters = redisCounters;
      notifier = await RedisChangeNotifier.connect({ url: redisUrl, publisher: redisCounters.connection, keyPrefix, log });
      opened.unshift(notifier);
      redis = { url: redisUrl, keyPrefix, connection: redisCounters.connection };
    }
    const costs = new CostCalculator(priceOverridesFromConfig(config));
    const service = new GovernanceService({ store, counters, notifier, costs, settings: governanceSettingsFromConfig(config), clock, log });
    const admin = new GovernanceAdmin(store, notifier, service);
    if (seedActions.some((action) => action.action !== 'unchanged')) {
      await notifier.publish({ kind: 'all' });
      await notifier.publish({ kind: 'providers' });
    }
    const description = `${store.backend} ${store.location}; counters ${redisUrl === undefined ? 'in memory (this process only)' : `in Redis ${redactUrl(redisUrl)}`}`;
    return {
      service,
      admin,
      store,
      counters,
      notifier,
      ...(redis === undefined ? {} : { redis }),
      costs,
      seedActions,
      encryptionKeySource: encryptionKey.source,
      description,
      storedProviderConfigs: async () => {
        const providers: Record<string, unknown> = {};
        for (const provider of await store.providers.list()) providers[provider.name] = providerConfigFromRecord(provider);
        return validateConfigObject({ providers }, `(providers stored in ${store.location})`).providers ?? {};
      },
      close: async () => {
        await service.close();
        for (const resource of opened) await resource.close();
      },
    };
  } catch (error) {
    for (const resource of opened) await resource.close().catch(() => undefined);
    throw error;
  }
}
