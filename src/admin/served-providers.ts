import type { HeimdallConfig, ProviderConfig } from '../config/config-schema.js';
import { buildGatewaySettings, providerConfigsFromEnvironment, type GatewaySettings } from '../config/gateway-settings.js';
import { ConfigError, validateConfigObject } from '../config/load-config.js';
import type { RunningGovernance } from '../governance/start-governance.js';
import type { ProviderInstance } from '../providers/provider.js';
import { buildRoutingRuntime } from '../routing/build-routing-runtime.js';

/**
 * Which providers the gateway serves once the store runs, and how a change made through the admin
 * API (on any replica) reaches the request path without a restart.
 *
 * - **The store is the source of truth.** The config's `providers` were seeded into it at start
 *   (see `seed-from-config.ts`), so the served set is the stored set: a provider added, edited or
 *   deleted through the admin API is served that way, also after a restart.
 * - **Zero-config start.** When the config has no `providers` section, the providers found in
 *   environment variables (`OPENAI_API_KEY`, …; Anthropic always) are served too; a stored
 *   provider of the same name wins. They are not written to the store.
 * - **A stored provider that does not load** (an `env.NAME` no longer set, a kind removed) is left
 *   out with a warning instead of stopping the gateway; the admin API refuses to store such a
 *   provider in the first place.
 * - **Reload.** Every `{kind: 'providers'}` change (published by the admin API here, or by another
 *   replica through Redis) rebuilds the provider instances and the routing runtime from the store
 *   and swaps them into the running `GatewaySettings` object; requests in flight keep the
 *   instance they resolved. Routing health (circuit breakers) and the keep-alive ticker carry over.
 */

/** The provider entries to serve: the stored ones, plus the environment's when the config has no `providers`. */
export async function servedProviderConfigs(
  config: HeimdallConfig,
  governance: Pick<RunningGovernance, 'storedProviderConfigs'>,
  environment: NodeJS.ProcessEnv,
): Promise<Record<string, ProviderConfig>> {
  const stored = await governance.storedProviderConfigs();
  return config.providers === undefined ? { ...providerConfigsFromEnvironment(environment), ...stored } : stored;
}

/**
 * Gateway settings for `config` with `providers`, leaving out (and reporting through `log`) each
 * provider that does not load on its own.
 * @throws ConfigError when the rest of the config is bad (routing rules naming a provider that is left out, …)
 */
export function buildSettingsWithProviders(
  config: HeimdallConfig,
  providers: Record<string, ProviderConfig>,
  environment: NodeJS.ProcessEnv,
  log: (line: string) => void,
): GatewaySettings {
  const loadable: Record<string, ProviderConfig> = {};
  for (const [name, entry] of Object.entries(providers)) {
    try {
      buildGatewaySettings({ providers: { [name]: entry } }, environment);
      loadable[name] = entry;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      log(`[heimdall] provider '${name}' from the store is not served: ${error.message}`);
    }
  }
  return buildGatewaySettings({ ...config, providers: loadable }, environment);
}

/**
 * Checks that a provider entry would load (schema, kind, base URL, keys, `env.NAME` values).
 * @throws ConfigError naming the field (`providers.<name>.keys: …`)
 */
export function checkProviderEntry(name: string, entry: Record<string, unknown>, environment: NodeJS.ProcessEnv): void {
  const config = validateConfigObject({ providers: { [name]: entry } }, `(provider '${name}')`);
  buildGatewaySettings(config, environment);
}

/** What a {@link ServedProviders} works on. */
export interface ServedProvidersOptions {
  /** The running gateway's settings object; its `providers` and `routing` are replaced on reload. */
  settings: GatewaySettings;
  config: HeimdallConfig;
  governance: Pick<RunningGovernance, 'storedProviderConfigs' | 'notifier'>;
  environment: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** Keeps a running gateway's providers in step with the store. */
export class ServedProviders {
  readonly #options: ServedProvidersOptions;
  #current: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: ServedProvidersOptions) {
    this.#options = options;
  }

  /** Reloads on every `{kind: 'providers'}` change from now on. */
  watch(): void {
    this.#unsubscribe ??= this.#options.governance.notifier.subscribe((change) => {
      if (change.kind === 'providers') void this.reload();
    });
  }

  /**
   * Rebuilds the served providers from the store (reloads requested while one waits share it).
   * Never rejects: a failure is logged and the current providers stay.
   * @returns when the settings reflect the store as of the call
   */
  reload(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const queued = this.#current.then(async () => {
      this.#queued = undefined;
      await this.#reloadNow();
    });
    this.#queued = queued;
    this.#current = queued;
    return queued;
  }

  /**
   * Checks that the routing rules and aliases of the config still resolve without `name` (before a
   * provider is deleted or renamed).
   * @throws ConfigError naming the rule that targets it
   */
  checkRemoval(name: string): void {
    const { settings, config } = this.#options;
    if (config.routing === undefined && config.aliases === undefined) return;
    const remaining = new Map<string, ProviderInstance>([...settings.providers].filter(([instanceName]) => instanceName !== name));
    buildRoutingRuntime(remaining, config.routing, config.aliases);
  }

  /** Stops watching. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  async #reloadNow(): Promise<void> {
    const { settings, config, governance, environment, log } = this.#options;
    try {
      const next = buildSettingsWithProviders(config, await servedProviderConfigs(config, governance, environment), environment, log);
      settings.providers = next.providers;
      const previous = settings.routing;
      settings.routing =
        previous === undefined || next.routing === undefined ? next.routing : { ...next.routing, health: previous.health, keepAlive: previous.keepAlive };
    } catch (error) {
      log(`[heimdall] providers not reloaded from the store (the current ones stay): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
