import type { HeimdallConfig, ProviderConfig } from '../config/config-schema.js';
import { buildGatewaySettings, providerConfigsFromEnvironment, type GatewaySettings } from '../config/gateway-settings.js';
import { ConfigError, validateConfigObject } from '../config/load-config.js';
import type { RunningGovernance } from '../governance/start-governance.js';
import type { ProviderInstance } from '../providers/provider.js';
import { buildRoutingRuntime } from '../routing/build-routing-runtime.js';
import { routingRuntimeOf } from '../routing/route-anthropic-request.js';
import type { RoutingEngine } from '../routing/routing-engine.js';
import { configRoutingRuleInputs } from '../routing/routing-runtime.js';
import type { RoutingAliasRepository, StoredRoutingAlias } from '../storage/repositories/routing-alias-repository.js';
import type { RoutingRuleRepository, StoredRoutingRule } from '../storage/repositories/routing-rule-repository.js';

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
 * - **Routing rules and aliases saved through the admin API** (`routing_rules`, `routing_aliases`)
 *   are loaded after the config's at start, after every provider reload and on every
 *   `{kind: 'routing'}` change (aliases first: rule fallbacks may name them); a stored rule or
 *   alias that no longer validates (its provider is gone) or has a config entry's name is left out
 *   with a warning.
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
  /** The routing rules saved through the admin API, loaded after the config's. Absent: config rules only. */
  routingRules?: RoutingRuleRepository;
  /** The model aliases saved through the admin API, loaded after the config's. Absent: config aliases only. */
  routingAliases?: RoutingAliasRepository;
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

  /**
   * Reloads the providers on every `{kind: 'providers'}` change and the saved aliases and rules on
   * every `{kind: 'routing'}` change from now on (from this replica or, through Redis, another;
   * a change made here was applied before it was published, so reloading it again is harmless).
   */
  watch(): void {
    this.#unsubscribe ??= this.#options.governance.notifier.subscribe((change) => {
      if (change.kind === 'providers') void this.reload();
      if (change.kind === 'routing') void this.#enqueue(() => this.loadRoutingRules());
    });
  }

  /**
   * Rebuilds the served providers from the store (reloads requested while one waits share it).
   * Never rejects: a failure is logged and the current providers stay.
   * @returns when the settings reflect the store as of the call
   */
  reload(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const queued = this.#enqueue(async () => {
      this.#queued = undefined;
      await this.#reloadNow();
    });
    this.#queued = queued;
    return queued;
  }

  /** The running routing engine (replaced on every provider reload: look it up for each use). */
  get routingEngine(): RoutingEngine {
    return routingRuntimeOf(this.#options.settings).engine;
  }

  /** The served provider instance of that name (stored or zero-config), if any. */
  instance(name: string): ProviderInstance | undefined {
    return this.#options.settings.providers.get(name);
  }

  /** The repository of routing rules saved through the admin API, when there is one. */
  get routingRules(): RoutingRuleRepository | undefined {
    return this.#options.routingRules;
  }

  /** The repository of model aliases saved through the admin API, when there is one. */
  get routingAliases(): RoutingAliasRepository | undefined {
    return this.#options.routingAliases;
  }

  /** The config file's aliases (read-only through the admin API). */
  get configAliases(): Readonly<Record<string, string>> {
    return this.#options.config.aliases ?? {};
  }

  /** The names of the config file's routing rules (read-only through the admin API). */
  get configRuleNames(): ReadonlySet<string> {
    return new Set((this.#options.config.routing?.rules ?? []).map((rule) => rule.name));
  }

  /**
   * Puts the config's aliases and rules, then the stored ones, into the running engine (aliases
   * first, then the rules in one swap). A stored alias or rule that does not validate, or has a
   * config entry's name, is left out with a warning. Never rejects: a failure is logged and the
   * aliases and rules in force stay.
   */
  async loadRoutingRules(): Promise<void> {
    const { settings, log, routingRules, routingAliases } = this.#options;
    if (routingRules === undefined && routingAliases === undefined) return;
    try {
      const engine = routingRuntimeOf(settings).engine;
      const [aliases, rules] = await Promise.all([routingAliases?.list(), routingRules?.list()]);
      if (aliases !== undefined) this.#applyRoutingAliases(engine, aliases);
      if (rules !== undefined) this.#applyRoutingRules(engine, rules);
    } catch (error) {
      log(`[heimdall] routing rules and aliases not reloaded from the store (the current ones stay): ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * The aliases in force with `stored` added to the config's: the config's, then each stored alias
   * that validates alongside them and has no config alias's name.
   */
  mergedAliases(engine: RoutingEngine, stored: readonly StoredRoutingAlias[], report: (line: string) => void = this.#options.log): Record<string, string> {
    const merged: Record<string, string> = { ...this.configAliases };
    for (const alias of stored) {
      if (Object.hasOwn(merged, alias.name)) {
        report(`[heimdall] stored alias '${alias.name}' is not used: the config has an alias of that name`);
        continue;
      }
      const candidate = { ...merged, [alias.name]: alias.target };
      const problems = engine.validateAliases(candidate);
      if (problems.length > 0) report(`[heimdall] stored alias '${alias.name}' is not used: ${problems.map((problem) => problem.message).join('; ')}`);
      else merged[alias.name] = alias.target;
    }
    return merged;
  }

  /** Replaces the aliases of `engine` with the config's, then the valid ones of `stored`. */
  #applyRoutingAliases(engine: RoutingEngine, stored: readonly StoredRoutingAlias[]): void {
    engine.setAliases(this.mergedAliases(engine, stored));
  }

  /** Replaces the rules of `engine` with the config's, then the valid ones of `stored`. */
  #applyRoutingRules(engine: RoutingEngine, stored: readonly StoredRoutingRule[]): void {
    const { config, log } = this.#options;
    const configNames = this.configRuleNames;
    const inputs = configRoutingRuleInputs(config.routing);
    for (const rule of stored) {
      const validation = engine.validateRule(rule.definition);
      if (configNames.has(rule.name)) log(`[heimdall] stored routing rule '${rule.name}' is not used: the config has a rule of that name`);
      else if (!validation.valid) log(`[heimdall] stored routing rule '${rule.name}' is not used: ${validation.problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`);
      else inputs.push(rule.definition);
    }
    engine.replaceRules(inputs);
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

  /** Runs `work` after every reload queued before it. */
  #enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.#current.then(work);
    this.#current = next;
    return next;
  }

  async #reloadNow(): Promise<void> {
    const { settings, config, governance, environment, log, routingRules, routingAliases } = this.#options;
    try {
      const next = buildSettingsWithProviders(config, await servedProviderConfigs(config, governance, environment), environment, log);
      // Stored aliases and rules go into the new engine before it is swapped in, so no request sees the config's alone.
      if (routingAliases !== undefined && next.routing !== undefined) this.#applyRoutingAliases(next.routing.engine, await routingAliases.list());
      if (routingRules !== undefined && next.routing !== undefined) this.#applyRoutingRules(next.routing.engine, await routingRules.list());
      settings.providers = next.providers;
      const previous = settings.routing;
      settings.routing =
        previous === undefined || next.routing === undefined ? next.routing : { ...next.routing, health: previous.health, keepAlive: previous.keepAlive };
    } catch (error) {
      log(`[heimdall] providers not reloaded from the store (the current ones stay): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
