import { setTimeout as sleepFor } from 'node:timers/promises';
import type { ProviderInstance } from '../providers/provider.js';
import { DEFAULT_CIRCUIT_BREAKER_SETTINGS, type CircuitBreakerSettings } from './circuit-breaker.js';
import { ProviderHealth } from './provider-health.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import type { RoutingConfig } from './routing-config-schema.js';
import { RoutingEngine } from './routing-engine.js';
import type { RoutingRuleInput } from './routing-rule.js';
import { DEFAULT_KEEPALIVE_SETTINGS, KeepAliveTicker, type KeepAliveSettings } from './stream-keepalive.js';

/**
 * Everything routing needs at run time, one per gateway: the rule engine, key/provider health,
 * the retry policy, the stream keep-alive ticker, and the clock / random / sleep they use
 * (injectable for tests).
 */
export interface RoutingRuntime {
  engine: RoutingEngine;
  health: ProviderHealth;
  retryPolicy: RetryPolicy;
  /** Absent when stream keep-alive is switched off. */
  keepAlive?: KeepAliveTicker;
  /** ms since the epoch. */
  now(): number;
  /** A number in [0, 1). */
  random(): number;
  /** Waits `ms` milliseconds; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Test hooks for {@link createRoutingRuntime}. */
export interface RoutingRuntimeOptions {
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Whether the keep-alive ticker runs its own interval (tests drive it by hand). Default true. */
  automaticKeepAlive?: boolean;
}

/**
 * Waits `ms`, or less when `signal` aborts first (the caller went away). Never rejects: the caller
 * checks `signal.aborted` afterwards, so an abort during a retry backoff ends the request with the
 * failure that caused the retry, not with an internal `AbortError`.
 */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  try {
    await sleepFor(ms, undefined, { signal });
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/** The config file's rules as engine input (the config's snake_case shape is the input shape). */
export function configRoutingRuleInputs(config: RoutingConfig | undefined): RoutingRuleInput[] {
  return (config?.rules ?? []).map((rule) => ({ ...rule, targets: rule.targets.map((target) => ({ ...target })) }));
}

/**
 * Builds the routing runtime from the config's `routing` section and `aliases`.
 * @throws InvalidRoutingRuleError for an invalid rule or alias (the caller names the config field)
 */
export function createRoutingRuntime(
  providers: ReadonlyMap<string, ProviderInstance>,
  config: RoutingConfig | undefined,
  aliases: Readonly<Record<string, string>> | undefined,
  options: RoutingRuntimeOptions = {},
): RoutingRuntime {
  const now = options.now ?? Date.now;
  const engine = new RoutingEngine(providers);
  engine.setAliases(aliases ?? {});
  engine.replaceRules(configRoutingRuleInputs(config));
  const retries = config?.retries;
  const retryPolicy: RetryPolicy = {
    maxRetries: retries?.max_retries ?? DEFAULT_RETRY_POLICY.maxRetries,
    initialBackoffMs: retries?.initial_backoff_ms ?? DEFAULT_RETRY_POLICY.initialBackoffMs,
    maxBackoffMs: retries?.max_backoff_ms ?? DEFAULT_RETRY_POLICY.maxBackoffMs,
    maxRetryAfterMs: retries?.max_retry_after_ms ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
    maxAttempts: retries?.max_attempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
  };
  const breaker: CircuitBreakerSettings = {
    failureThreshold: config?.circuit_breaker?.failure_threshold ?? DEFAULT_CIRCUIT_BREAKER_SETTINGS.failureThreshold,
    cooldownMs: config?.circuit_breaker?.cooldown_ms ?? DEFAULT_CIRCUIT_BREAKER_SETTINGS.cooldownMs,
  };
  const keepAliveConfig = config?.stream_keepalive;
  const keepAliveSettings: KeepAliveSettings = {
    firstPingMs: keepAliveConfig?.first_ping_ms ?? DEFAULT_KEEPALIVE_SETTINGS.firstPingMs,
    pingIntervalMs: keepAliveConfig?.ping_interval_ms ?? DEFAULT_KEEPALIVE_SETTINGS.pingIntervalMs,
  };
  return {
    engine,
    health: new ProviderHealth(breaker, now),
    retryPolicy,
    ...(keepAliveConfig?.enabled === false ? {} : { keepAlive: new KeepAliveTicker(keepAliveSettings, now, options.automaticKeepAlive ?? true) }),
    now,
    random: options.random ?? Math.random,
    sleep: options.sleep ?? sleepUnlessAborted,
  };
}
