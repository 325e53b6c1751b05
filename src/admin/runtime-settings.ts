import { DEFAULT_CORS_ALLOWED_HEADERS, type GatewaySettings } from '../config/gateway-settings.js';
import type { GovernanceSettings } from '../governance/governance-service.js';
import type { ObservabilitySettings } from '../observability/observability-settings.js';
import type { ChangeNotifier } from '../storage/counters/change-notifier.js';
import type { GatewaySettingsRepository } from '../storage/repositories/gateway-settings-repository.js';

/**
 * Gateway settings an admin changes at run time (`GET/PUT /api/settings`, the dashboard's Settings
 * page), without a restart:
 *
 * | setting | what it changes | read by |
 * | --- | --- | --- |
 * | `cors_allowed_origins` | `server.cors.allowed_origins` | the HTTP server, per request (`settings.cors`) |
 * | `cors_allowed_headers` | `server.cors.allowed_headers` (beyond the defaults), or `*` | same |
 * | `enforce_auth_on_inference` | `governance.enforce_auth_on_inference` | governance per request (also `/mcp`) |
 * | `request_logging` | `logging.enabled` | the request recorder, per request |
 * | `log_content` | `logging.content` | same |
 * | `log_retention_days` | `logging.retention_days` | the retention purge (run at once on change) |
 *
 * A setting saved here is stored (`gateway_settings`, migration 0007) and wins over the config
 * file's value, also after a restart, until it is reset (`null`), which brings the config's value
 * back. Each change is announced as `{kind: 'settings'}` so other replicas apply it. None of these
 * settings is a secret.
 */

/** The settings' values, as the API shows and takes them. */
export interface RuntimeSettingValues {
  /** Origins allowed by CORS, `*` for any. */
  cors_allowed_origins: string[];
  /** Request headers allowed by CORS beyond {@link DEFAULT_CORS_ALLOWED_HEADERS} (lower-case), or `*` for any. */
  cors_allowed_headers: '*' | string[];
  enforce_auth_on_inference: boolean;
  /** Whether requests are written to the request log. */
  request_logging: boolean;
  /** Whether the request log keeps prompts and answers (virtual keys may still turn it off). */
  log_content: boolean;
  /** Days request-log records are kept. */
  log_retention_days: number;
}

export type RuntimeSettingName = keyof RuntimeSettingValues;

export const RUNTIME_SETTING_NAMES: readonly RuntimeSettingName[] = [
  'cors_allowed_origins',
  'cors_allowed_headers',
  'enforce_auth_on_inference',
  'request_logging',
  'log_content',
  'log_retention_days',
];

/** A change: a value to save, `null` to go back to the config's value; absent names stay. */
export type RuntimeSettingsPatch = { [Name in RuntimeSettingName]?: RuntimeSettingValues[Name] | null };

/** What `GET /api/settings` answers. */
export interface RuntimeSettingsView {
  /** The values in force. */
  settings: RuntimeSettingValues;
  /** Where each value in force comes from. */
  sources: Record<RuntimeSettingName, 'config' | 'api'>;
  /** The config file's values (what a reset brings back). */
  config: RuntimeSettingValues;
  /** CORS request headers always allowed. */
  default_cors_headers: string[];
}

/** What the settings change, in the running gateway. */
export interface RuntimeSettingsTargets {
  gateway: Pick<GatewaySettings, 'cors' | 'observability'>;
  /** The governance service's settings object (absent without governance). */
  governance?: GovernanceSettings;
}

/** What a {@link RuntimeSettings} works with. */
export interface RuntimeSettingsOptions {
  targets: RuntimeSettingsTargets;
  repository: Pick<GatewaySettingsRepository, 'list' | 'apply'>;
  notifier: Pick<ChangeNotifier, 'publish' | 'subscribe'>;
  log: (line: string) => void;
}

const DEFAULT_HEADERS = DEFAULT_CORS_ALLOWED_HEADERS.map((header) => header.toLowerCase());
const ORIGIN_PATTERN = /^https?:\/\/[^/\s?#]+$/;
const HEADER_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** A value as the setting takes it, or a message saying why not (stored values are checked on load too). */
function checkValue(name: RuntimeSettingName, value: unknown): string | undefined {
  switch (name) {
    case 'cors_allowed_origins':
      if (!Array.isArray(value) || !value.every((origin) => typeof origin === 'string' && (origin === '*' || ORIGIN_PATTERN.test(origin)))) {
        return 'a list of origins (scheme://host[:port], no path) or "*"';
      }
      return undefined;
    case 'cors_allowed_headers':
      if (value === '*') return undefined;
      if (!Array.isArray(value) || !value.every((header) => typeof header === 'string' && HEADER_PATTERN.test(header))) return 'a list of header names or "*"';
      return undefined;
    case 'enforce_auth_on_inference':
    case 'request_logging':
    case 'log_content':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'log_retention_days':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 3650 ? undefined : 'whole days from 1 to 3650';
    default: {
      const unreachable: never = name;
      return `unknown setting ${String(unreachable)}`;
    }
  }
}

/** A setting refused by {@link RuntimeSettings.update}. */
export class InvalidRuntimeSettingError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'InvalidRuntimeSettingError';
  }
}

/** The running gateway's changeable settings: the config's values, the saved overrides, and their application. */
export class RuntimeSettings {
  readonly #options: RuntimeSettingsOptions;
  readonly #config: RuntimeSettingValues;
  #overrides: Partial<RuntimeSettingValues> = {};
  #purgeLog: (() => Promise<unknown>) | undefined;
  #unsubscribe: (() => void) | undefined;

  /** Reads the config's values from the targets as they are now (before any override is applied). */
  constructor(options: RuntimeSettingsOptions) {
    this.#options = options;
    const { gateway, governance } = options.targets;
    const headers = gateway.cors.allowedHeaders;
    const logging = gateway.observability?.logging;
    this.#config = {
      cors_allowed_origins: [...gateway.cors.allowedOrigins],
      cors_allowed_headers: headers === '*' ? '*' : headers.filter((header) => !DEFAULT_HEADERS.includes(header)),
      enforce_auth_on_inference: governance?.enforceAuthOnInference ?? false,
      request_logging: logging?.enabled ?? false,
      log_content: logging?.content ?? false,
      log_retention_days: logging?.retentionDays ?? 30,
    };
  }

  /** Runs the request log's retention purge when the retention changes (set once the gateway runs). */
  set purgeLog(purge: () => Promise<unknown>) {
    this.#purgeLog = purge;
  }

  /** Values in force, their sources and the config's values. */
  view(): RuntimeSettingsView {
    const settings = this.#effective();
    const sources = Object.fromEntries(RUNTIME_SETTING_NAMES.map((name) => [name, name in this.#overrides ? 'api' : 'config'])) as Record<RuntimeSettingName, 'config' | 'api'>;
    return { settings, sources, config: structuredClone(this.#config), default_cors_headers: [...DEFAULT_HEADERS] };
  }

  /**
   * Reads the saved settings and applies them. A saved value that is no longer valid is left out
   * with a warning (the config's value applies).
   */
  async load(): Promise<void> {
    const saved = await this.#options.repository.list();
    const overrides: Partial<Record<RuntimeSettingName, unknown>> = {};
    for (const [name, value] of Object.entries(saved)) {
      if (!(RUNTIME_SETTING_NAMES as readonly string[]).includes(name)) {
        this.#options.log(`[heimdall] saved gateway setting '${name}' is not known here and is ignored`);
        continue;
      }
      const problem = checkValue(name as RuntimeSettingName, value);
      if (problem !== undefined) this.#options.log(`[heimdall] saved gateway setting '${name}' is ignored: expected ${problem}`);
      else overrides[name as RuntimeSettingName] = value;
    }
    const retentionBefore = this.#effective().log_retention_days;
    this.#overrides = overrides as Partial<RuntimeSettingValues>;
    this.#apply(retentionBefore);
  }

  /**
   * Validates, saves and applies a change; other replicas apply it on the `{kind: 'settings'}` change.
   * @throws InvalidRuntimeSettingError naming the first setting at fault (nothing is saved then)
   */
  async update(patch: RuntimeSettingsPatch): Promise<RuntimeSettingsView> {
    for (const [name, value] of Object.entries(patch)) {
      if (!(RUNTIME_SETTING_NAMES as readonly string[]).includes(name)) throw new InvalidRuntimeSettingError(name, 'unknown setting');
      if (value === null || value === undefined) continue;
      const problem = checkValue(name as RuntimeSettingName, value);
      if (problem !== undefined) throw new InvalidRuntimeSettingError(name, `expected ${problem}`);
    }
    const normalized: Record<string, unknown> = { ...patch };
    if (Array.isArray(patch.cors_allowed_headers)) normalized.cors_allowed_headers = [...new Set(patch.cors_allowed_headers.map((header) => header.toLowerCase()))];
    await this.#options.repository.apply(normalized);
    await this.load();
    await this.#options.notifier.publish({ kind: 'settings' });
    return this.view();
  }

  /** Applies the saved settings again on every `{kind: 'settings'}` change from now on. */
  watch(): void {
    this.#unsubscribe ??= this.#options.notifier.subscribe((change) => {
      if (change.kind !== 'settings') return;
      this.load().catch((error: unknown) => {
        this.#options.log(`[heimdall] gateway settings not reloaded (the current ones stay): ${error instanceof Error ? error.message : String(error)}`);
      });
    });
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #effective(): RuntimeSettingValues {
    return structuredClone({ ...this.#config, ...this.#overrides });
  }

  #apply(retentionBefore: number): void {
    const values = this.#effective();
    const { gateway, governance } = this.#options.targets;
    // A new object: the server reads `settings.cors` per request, so a request sees one or the other.
    gateway.cors = {
      allowedOrigins: values.cors_allowed_origins,
      allowedHeaders: values.cors_allowed_headers === '*' ? '*' : [...new Set([...DEFAULT_HEADERS, ...values.cors_allowed_headers.map((header) => header.toLowerCase())])],
    };
    if (governance !== undefined) governance.enforceAuthOnInference = values.enforce_auth_on_inference;
    const logging: ObservabilitySettings['logging'] | undefined = gateway.observability?.logging;
    if (logging !== undefined) {
      logging.enabled = values.request_logging;
      logging.content = values.log_content;
      logging.retentionDays = values.log_retention_days;
    }
    if (values.log_retention_days < retentionBefore && this.#purgeLog !== undefined) {
      this.#purgeLog().catch((error: unknown) => this.#options.log(`[heimdall] request log purge failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  }
}
