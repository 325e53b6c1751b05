import type { ProviderInstance } from '../../providers/provider.js';
import { anthropicModelNameFromBedrockId } from '../../providers/bedrock/bedrock-model-ids.js';
import { resolveModel, type ModelTarget } from '../../routing/resolve-model.js';

/** The configured Bedrock provider: the instance named `bedrock`, else the first of kind `bedrock`. */
export function configuredBedrockInstance(providers: ReadonlyMap<string, ProviderInstance>): ProviderInstance | undefined {
  const named = providers.get('bedrock');
  if (named !== undefined && named.definition.kind === 'bedrock') return named;
  return [...providers.values()].find((instance) => instance.definition.kind === 'bedrock');
}

/**
 * Resolves the model id of a `/bedrock/model/{modelId}/…` request (already URL-decoded):
 * 1. `provider/model` naming a configured provider (URL-encoded as `provider%2Fmodel`) → that
 *    provider, as on `/anthropic` (ARNs, which contain `/`, are not read this way);
 * 2. otherwise, with a configured `bedrock` provider → that provider, the id unchanged (its
 *    `deployments` may still map it);
 * 3. otherwise a Bedrock Claude id becomes the Anthropic model name
 *    (`us.anthropic.claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5-20250929`) and is
 *    resolved like `/anthropic` resolves it; any other id is resolved as given.
 *
 * @throws GatewayError 400 when nothing serves the model
 */
export function resolveBedrockModel(modelId: string, providers: ReadonlyMap<string, ProviderInstance>): ModelTarget {
  const slash = modelId.indexOf('/');
  if (slash > 0 && !modelId.startsWith('arn:') && providers.has(modelId.slice(0, slash))) return resolveModel(modelId, providers);
  const bedrock = configuredBedrockInstance(providers);
  if (bedrock !== undefined) return { instance: bedrock, model: modelId };
  return resolveModel(anthropicModelNameFromBedrockId(modelId) ?? modelId, providers);
}
