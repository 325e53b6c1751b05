import { GatewayError } from '../core/errors.js';
import type { ProviderInstance, ProviderKey } from '../providers/provider.js';
import { matchesAnyModelPattern } from './match-model-pattern.js';

/**
 * Picks one of a provider's keys for a model: among the keys whose `models` allow it, at random in
 * proportion to `weight`. Returns undefined for a provider configured without keys (local servers,
 * or Anthropic forwarding the caller's own credential).
 *
 * @param random a number in [0, 1) (injectable for tests)
 * @throws GatewayError 400 when keys exist but none allows the model
 */
export function selectProviderKey(instance: ProviderInstance, model: string, random: () => number = Math.random): ProviderKey | undefined {
  const keys = instance.keys;
  if (keys.length === 0) return undefined;
  if (keys.length === 1) {
    if (matchesAnyModelPattern(keys[0].models, model)) return keys[0];
    throw modelNotAllowed(instance, model);
  }
  let total = 0;
  const eligible: ProviderKey[] = [];
  for (const key of keys) {
    if (matchesAnyModelPattern(key.models, model)) {
      eligible.push(key);
      total += key.weight;
    }
  }
  if (eligible.length === 0) throw modelNotAllowed(instance, model);
  let point = random() * total;
  for (const key of eligible) {
    point -= key.weight;
    if (point < 0) return key;
  }
  return eligible[eligible.length - 1];
}

function modelNotAllowed(instance: ProviderInstance, model: string): GatewayError {
  const allowed = [...new Set(instance.keys.flatMap((key) => key.models))].join(', ');
  return new GatewayError(
    'invalid_request_error',
    `model '${model}' is not available on provider '${instance.name}': its keys allow ${allowed}`,
  );
}
