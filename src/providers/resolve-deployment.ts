import type { ProviderInstance, ProviderKey } from './provider.js';

/**
 * The upstream deployment id for a model name ("pinning"): the chosen key's `deployments` entry,
 * else the instance's, else the model name itself. Bedrock deployments are model ids, inference
 * profile ids or ARNs; Azure deployments are deployment names.
 *
 * @param model the model name as the caller typed it (provider prefix removed)
 */
export function resolveDeployment(instance: ProviderInstance, key: ProviderKey | undefined, model: string): string {
  return key?.deployments?.[model] ?? instance.deployments?.[model] ?? model;
}
