import type { GatewaySettings } from '../../config/gateway-settings.js';
import type { ProviderInstance } from '../../providers/provider.js';
import { anthropicClaudeModelName, isClaudeModelName } from '../../providers/vertex/vertex-model-name.js';
import { resolveModel, type ModelTarget } from '../../routing/resolve-model.js';
import type { GenaiPath } from './parse-genai-path.js';

/** Google's own model families, served by a Gemini API or Vertex AI instance when one is configured. */
const GOOGLE_MODEL_NAME = /^(gemini|gemma|learnlm)-/;

function firstInstanceOfKind(settings: GatewaySettings, kinds: readonly string[]): ProviderInstance | undefined {
  for (const kind of kinds) {
    const instance = [...settings.providers.values()].find((candidate) => candidate.definition.kind === kind);
    if (instance !== undefined) return instance;
  }
  return undefined;
}

/**
 * Resolves the model of a `/genai` request to a provider target:
 *
 * 1. `provider/model` (a Heimdall name in the URL) → that provider, like `/anthropic`;
 * 2. a Claude model (`publishers/anthropic/…`, `claude-*`) → the first configured `vertex`
 *    instance, with the Vertex name unchanged; without one, the Anthropic name
 *    (`claude-sonnet-4-5@20250929` → `claude-sonnet-4-5-20250929`) resolved like `/anthropic`;
 * 3. a model listed in a provider's `models` → that provider;
 * 4. a Google model (`gemini-*`, `gemma-*`) → the first `gemini` instance for Gemini-API paths,
 *    the first `vertex` instance for Vertex paths, else the other kind;
 * 5. otherwise → `resolveModel` (which names what is configured in its 400).
 *
 * @throws GatewayError 400 when nothing serves the model
 */
export function resolveGenaiTarget(path: GenaiPath, settings: GatewaySettings): ModelTarget {
  const model = path.model;
  if (model.includes('/')) return resolveModel(model, settings.providers);
  if (path.publisher === 'anthropic' || isClaudeModelName(model)) {
    const vertex = firstInstanceOfKind(settings, ['vertex']);
    if (vertex !== undefined) return { instance: vertex, model };
    return resolveModel(anthropicClaudeModelName(model), settings.providers);
  }
  for (const instance of settings.providers.values()) {
    if (instance.models.includes(model)) return { instance, model };
  }
  if (GOOGLE_MODEL_NAME.test(model)) {
    const google = firstInstanceOfKind(settings, path.shape === 'vertex' ? ['vertex', 'gemini'] : ['gemini', 'vertex']);
    if (google !== undefined) return { instance: google, model };
  }
  return resolveModel(model, settings.providers);
}
