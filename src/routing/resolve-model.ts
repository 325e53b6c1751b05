import { GatewayError } from '../core/errors.js';
import type { ProviderInstance } from '../providers/provider.js';
import { providerRegistry } from '../providers/registry.js';

/** Where a requested model name points: a configured provider instance and the upstream model name. */
export interface ModelTarget {
  instance: ProviderInstance;
  /** The model name as the provider knows it (prefix removed). */
  model: string;
}

/**
 * Resolves a requested model name:
 * - `provider/model` selects the configured provider named `provider` (the model may itself contain
 *   `/`, as in `openrouter/anthropic/claude-sonnet-4.5`);
 * - a bare `claude-*` name means the Anthropic provider;
 * - another bare name is looked up in the providers' configured `models` lists.
 *
 * @throws GatewayError 400 naming what is configured when the provider or model is unknown
 */
export function resolveModel(requested: string, providers: ReadonlyMap<string, ProviderInstance>): ModelTarget {
  const slash = requested.indexOf('/');
  if (slash > 0) {
    const providerName = requested.slice(0, slash);
    const model = requested.slice(slash + 1);
    const instance = providers.get(providerName);
    if (instance !== undefined) {
      if (model === '') throw new GatewayError('invalid_request_error', `model '${requested}' names no model after '${providerName}/'`);
      return { instance, model };
    }
    if (providerRegistry.has(providerName)) {
      throw new GatewayError(
        'invalid_request_error',
        `provider '${providerName}' is not configured; configured providers: ${describeProviders(providers)}. Add it to the config file or set its API key environment variable.`,
      );
    }
  }
  if (requested.startsWith('claude-')) {
    const anthropic = providers.get('anthropic') ?? [...providers.values()].find((instance) => instance.definition.kind === 'anthropic');
    if (anthropic !== undefined) return { instance: anthropic, model: requested };
  }
  for (const instance of providers.values()) {
    if (instance.models.includes(requested)) return { instance, model: requested };
  }
  throw new GatewayError(
    'invalid_request_error',
    `unknown model '${requested}': use provider/model (e.g. openai/gpt-5) or a configured model; configured providers: ${describeProviders(providers)}`,
  );
}

function describeProviders(providers: ReadonlyMap<string, ProviderInstance>): string {
  if (providers.size === 0) return '(none)';
  return [...providers.values()]
    .map((instance) => (instance.models.length > 0 ? `${instance.name} (${instance.models.join(', ')})` : instance.name))
    .join(', ');
}
