import { GatewayError } from '../core/errors.js';
import type { ProviderInstance, ProviderKey } from '../providers/provider.js';
import { CircuitBreaker, type CircuitBreakerSettings, type CircuitSnapshot } from './circuit-breaker.js';
import { matchesAnyModelPattern } from './match-model-pattern.js';
import { TargetUnavailableError } from './retry-policy.js';
import { selectProviderKey } from './select-provider-key.js';

/**
 * Health-aware key selection: one circuit breaker per provider key (and one per keyless provider
 * instance). Selection stays weighted among the keys that allow the model; a key whose circuit is
 * open is left out until its cool-down ends, then one request probes it back in.
 *
 * @see ./circuit-breaker.ts
 * @see ../../docs/architecture.md#health-aware-selection
 */

/** The outcome of picking a key for one attempt. */
export type KeySelection =
  /** Go with this key (undefined for a keyless provider); its breaker slot is taken. */
  | { kind: 'selected'; key: ProviderKey | undefined }
  /** Every key that allows the model (and was not tried yet) is out of rotation or already tried. */
  | { kind: 'unavailable' };

/** A breaker's state with what it guards, for dashboards and logs. */
export interface HealthSnapshot extends CircuitSnapshot {
  provider: string;
  /** The key's name; absent for a keyless provider. */
  key?: string;
}

/** Options of one key pick. */
export interface KeySelectionOptions {
  /** Key ids already tried for this request (skipped). */
  exclude?: ReadonlySet<string>;
  /** A key id the routing rule pinned: taken first when allowed and healthy. */
  pinnedKeyId?: string;
  /** Ignore circuit state (used when every target of a request is out of rotation: trying beats refusing). */
  ignoreHealth?: boolean;
  /** A number in [0, 1) for the weighted pick (injectable for tests). */
  random?: () => number;
}

export class ProviderHealth {
  private readonly breakers = new Map<string, CircuitBreaker>();

  /** @param now the clock, ms (injectable for tests) */
  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The breaker guarding a key (or a keyless instance when `key` is undefined). */
  breakerFor(instance: ProviderInstance, key: ProviderKey | undefined): CircuitBreaker {
    const id = `${instance.name}\u0000${key?.id ?? ''}`;
    let breaker = this.breakers.get(id);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(this.settings, this.now);
      this.breakers.set(id, breaker);
    }
    return breaker;
  }

  /**
   * Whether a target has a key (or, keyless, the instance itself) in rotation for `model`, not
   * counting keys in `exclude`.
   */
  isAvailable(instance: ProviderInstance, model: string, exclude: ReadonlySet<string> = new Set()): boolean {
    if (instance.keys.length === 0) return this.breakerFor(instance, undefined).isAvailable();
    return instance.keys.some((key) => !exclude.has(key.id) && matchesAnyModelPattern(key.models, model) && this.breakerFor(instance, key).isAvailable());
  }

  /**
   * Picks a key for one attempt: the pinned key when it allows the model, is not excluded and is
   * in rotation; otherwise at random in proportion to `weight` among the keys that allow the model,
   * are not excluded and are in rotation. Takes the chosen breaker's slot (a half-open breaker
   * lets exactly one probe through).
   *
   * @throws TargetUnavailableError when no key of the provider allows the model at all
   */
  selectKey(instance: ProviderInstance, model: string, options: KeySelectionOptions = {}): KeySelection {
    const exclude = options.exclude ?? new Set<string>();
    const random = options.random ?? Math.random;
    if (instance.keys.length === 0) {
      if (exclude.has('')) return { kind: 'unavailable' };
      const breaker = this.breakerFor(instance, undefined);
      return options.ignoreHealth === true || breaker.acquire() ? { kind: 'selected', key: undefined } : { kind: 'unavailable' };
    }
    const allowing = instance.keys.filter((key) => matchesAnyModelPattern(key.models, model));
    if (allowing.length === 0) {
      try {
        selectProviderKey(instance, model);
      } catch (error) {
        if (error instanceof GatewayError) throw new TargetUnavailableError(error);
        throw error;
      }
    }
    const candidates = allowing.filter((key) => !exclude.has(key.id) && (options.ignoreHealth === true || this.breakerFor(instance, key).isAvailable()));
    if (candidates.length === 0) return { kind: 'unavailable' };
    const pinned = options.pinnedKeyId === undefined ? undefined : candidates.find((key) => key.id === options.pinnedKeyId);
    const chosen = pinned ?? pickWeightedKey(candidates, random);
    if (options.ignoreHealth !== true && !this.breakerFor(instance, chosen).acquire()) return { kind: 'unavailable' };
    return { kind: 'selected', key: chosen };
  }

  /** Every breaker that has seen traffic, for dashboards and the admin API. */
  snapshot(): HealthSnapshot[] {
    return [...this.breakers.entries()].map(([id, breaker]) => {
      const [provider, key] = id.split('\u0000');
      return { provider, ...(key === '' ? {} : { key }), ...breaker.snapshot() };
    });
  }
}

function pickWeightedKey(keys: readonly ProviderKey[], random: () => number): ProviderKey {
  if (keys.length === 1) return keys[0];
  let total = 0;
  for (const key of keys) total += key.weight;
  let point = random() * total;
  for (const key of keys) {
    point -= key.weight;
    if (point < 0) return key;
  }
  return keys[keys.length - 1];
}
