import type { HeimdallConfig } from '../config/config-schema.js';
import type { GatewaySettings } from '../config/gateway-settings.js';
import { ConfigError, resolveSecret } from '../config/load-config.js';
import { canonicalJson } from '../governance/seed-from-config.js';
import { REDIS_URL_VARIABLE, startGovernance, type RunningGovernance } from '../governance/start-governance.js';
import { isLoopbackHost } from '../mcp/mcp-settings.js';
import type { HeimdallStore } from '../storage/heimdall-store.js';
import { redactUrl } from '../storage/open-database.js';
import { GatewaySettingsRepository } from '../storage/repositories/gateway-settings-repository.js';
import { RoutingAliasRepository } from '../storage/repositories/routing-alias-repository.js';
import { RoutingRuleRepository } from '../storage/repositories/routing-rule-repository.js';
import { systemClock, type Clock } from '../storage/repositories/repository-support.js';
import { InvalidValueStorageError } from '../storage/storage-errors.js';
import { startGateway, type RunningGateway } from '../start-gateway.js';
import { AdminApi } from './admin-api.js';
import { ADMIN_TOKEN_VARIABLE, AdminAuthenticator, resolveAdminToken, resolveInitialAdminUser } from './admin-auth.js';
import { AdminUserStore } from './admin-user-store.js';
import { LoginThrottle } from './login-throttle.js';
import { RuntimeSettings } from './runtime-settings.js';
import { buildSettingsWithProviders, servedProviderConfigs, ServedProviders } from './served-providers.js';

/**
 * Starts a gateway with its store: storage and governance (`startGovernance`), the first admin user
 * from the config, the providers from the store, the routing rules saved through the admin API, the
 * admin API, and the reload of providers and rules on change. `heimdall serve` and the end-to-end
 * tests start gateways this way.
 */

/** What {@link startGovernedGateway} needs. */
export interface StartGovernedGatewayOptions {
  config: HeimdallConfig;
  /** Default SQLite file, `encryption.key`. */
  appDirectory: string;
  /** Secrets (`env.NAME`), zero-config providers, `HEIMDALL_*` variables. Default `process.env`. */
  environment?: NodeJS.ProcessEnv;
  /** Wins over `storage.database_url` (and `HEIMDALL_DATABASE_URL`): the `--database-url` flag. */
  databaseUrl?: string;
  /** Wins over `storage.redis_url` (and `HEIMDALL_REDIS_URL`): the `--redis-url` flag. */
  redisUrl?: string;
  /** Override of `server.port` (0 = any free port). */
  port?: number;
  /** Override of `server.host`. */
  host?: string;
  /** Operational warnings. Default `console.warn`. */
  log?: (line: string) => void;
  clock?: Clock;
}

/** What happened to the configured first admin user at start. */
export interface InitialAdminUserAction {
  username: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** A running gateway with its store. */
export interface GovernedGateway {
  gateway: RunningGateway;
  governance: RunningGovernance;
  /** The gateway's settings (their providers follow the store). */
  settings: GatewaySettings;
  users: AdminUserStore;
  initialAdminUser?: InitialAdminUserAction;
  /** `SQLite at /path/heimdall.db; counters in memory (this process only)` — no secrets. */
  storageDescription: string;
  /** How the admin API is protected, for the banner. */
  adminAccessDescription: string;
  /** Warnings for the banner (an exposed gateway without an admin credential, …). */
  warnings: string[];
  /** Stops the gateway, then closes the store. */
  close(): Promise<void>;
}

/**
 * Creates the configured first admin user, or sets its password when the configured one changed
 * since the last start (tracked like config seeding, by an HMAC fingerprint, so that a password
 * changed through the API is kept while the config's stays the same).
 * @throws ConfigError for a password that is too short, or an unset `env.NAME`
 */
export async function seedInitialAdminUser(
  store: HeimdallStore,
  users: AdminUserStore,
  config: HeimdallConfig,
  environment: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<InitialAdminUserAction | undefined> {
  const initial = resolveInitialAdminUser(config.admin, environment);
  if (initial === undefined) return undefined;
  const fingerprint = store.cipher.fingerprint(canonicalJson({ entity: 'admin_user', name: initial.username, password: initial.password }));
  const existing = await users.findByUsername(initial.username);
  if (existing !== undefined && (await store.seedState.getHash('admin_user', initial.username)) === fingerprint) {
    return { username: initial.username, action: 'unchanged' };
  }
  try {
    if (existing === undefined) await users.createUser(initial);
    else await users.setPassword(existing.id, initial.password);
  } catch (error) {
    if (error instanceof InvalidValueStorageError) throw new ConfigError(`admin.${error.message}`);
    throw error;
  }
  await store.seedState.setHash('admin_user', initial.username, fingerprint, clock());
  return { username: initial.username, action: existing === undefined ? 'created' : 'updated' };
}

function describeStorage(governance: RunningGovernance, config: HeimdallConfig, environment: NodeJS.ProcessEnv): string {
  const { store } = governance;
  const database = store.backend === 'sqlite' ? `SQLite at ${store.location}` : `PostgreSQL at ${store.location}`;
  const redisSetting = config.storage?.redis_url;
  const redisUrl = redisSetting !== undefined ? resolveSecret(redisSetting, 'storage.redis_url', environment) : environment[REDIS_URL_VARIABLE] || undefined;
  return `${database}; counters ${redisUrl === undefined ? 'in memory (this process only)' : `in Redis at ${redactUrl(redisUrl)}`}`;
}

/**
 * Starts storage, governance and the gateway (see the module comment).
 * @throws ConfigError for a bad config (unset `env.NAME`, a short admin password, bad routing)
 * @throws StorageError when the database or Redis cannot be reached
 */
export async function startGovernedGateway(options: StartGovernedGatewayOptions): Promise<GovernedGateway> {
  const environment = options.environment ?? process.env;
  const log = options.log ?? ((line: string) => console.warn(line));
  const clock = options.clock ?? systemClock;
  const config: HeimdallConfig = {
    ...options.config,
    storage: {
      ...options.config.storage,
      ...(options.databaseUrl === undefined ? {} : { database_url: options.databaseUrl }),
      ...(options.redisUrl === undefined ? {} : { redis_url: options.redisUrl }),
    },
  };
  const governance = await startGovernance({ config, appDirectory: options.appDirectory, environment, log, clock });
  try {
    const users = new AdminUserStore(governance.store.database, clock);
    const initialAdminUser = await seedInitialAdminUser(governance.store, users, config, environment, clock);
    const settings = buildSettingsWithProviders(config, await servedProviderConfigs(config, governance, environment), environment, log);
    if (options.port !== undefined) settings.port = options.port;
    if (options.host !== undefined) settings.host = options.host;

    const token = resolveAdminToken(config.admin, environment);
    const sessionTtlHours = config.admin?.session_ttl_hours;
    const authenticator = new AdminAuthenticator({ token, users, clock, ...(sessionTtlHours === undefined ? {} : { sessionTtlMs: sessionTtlHours * 3_600_000 }) });
    const routingRules = new RoutingRuleRepository(governance.store.database, clock);
    const routingAliases = new RoutingAliasRepository(governance.store.database, clock);
    const servedProviders = new ServedProviders({ settings, config, governance, environment, log, routingRules, routingAliases });
    await servedProviders.loadRoutingRules();
    servedProviders.watch();
    // Settings saved through /api/settings apply before the first request is served.
    const runtimeSettings = new RuntimeSettings({
      targets: { gateway: settings, governance: governance.service.settings },
      repository: new GatewaySettingsRepository(governance.store.database, clock),
      notifier: governance.notifier,
      log,
    });
    await runtimeSettings.load();
    runtimeSettings.watch();
    const api = new AdminApi(
      { governance, authenticator, users, throttle: new LoginThrottle(), environment, clock, servedProviders, runtimeSettings },
      { maxBodyBytes: settings.maxBodyBytes },
    );
    let gateway: RunningGateway;
    try {
      gateway = await startGateway(settings, { governance, admin: { authenticator, api } });
    } catch (error) {
      servedProviders.close();
      runtimeSettings.close();
      throw error;
    }
    const observability = gateway.observability;
    runtimeSettings.purgeLog = () => observability.purge();

    const userCount = (await users.listUsers()).length;
    const credentials = [
      ...(token === undefined ? [] : [`bearer token (${config.admin?.token !== undefined ? 'admin.token' : ADMIN_TOKEN_VARIABLE})`]),
      ...(userCount === 0 ? [] : [`${userCount} user${userCount === 1 ? '' : 's'} (login: POST /api/auth/login)`]),
    ];
    const warnings: string[] = [];
    let adminAccessDescription: string;
    if (credentials.length > 0) adminAccessDescription = credentials.join(', ');
    else {
      adminAccessDescription = `loopback only: no admin credential configured (set admin.token or ${ADMIN_TOKEN_VARIABLE}, or run \`heimdall admin create-user\`)`;
      if (!isLoopbackHost(settings.host)) {
        warnings.push(`the gateway listens on ${settings.host} without an admin credential: the admin API refuses every request that is not from this machine until one is configured`);
      }
    }
    return {
      gateway,
      governance,
      settings,
      users,
      ...(initialAdminUser === undefined ? {} : { initialAdminUser }),
      storageDescription: describeStorage(governance, config, environment),
      adminAccessDescription,
      warnings,
      close: async () => {
        servedProviders.close();
        runtimeSettings.close();
        await gateway.close();
        await governance.close();
      },
    };
  } catch (error) {
    await governance.close().catch(() => undefined);
    throw error;
  }
}
