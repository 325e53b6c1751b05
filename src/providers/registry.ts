import type { ProviderDefinition } from './provider.js';
import { anthropicProvider } from './anthropic/anthropic-provider.js';

/**
 * Every provider kind Heimdall knows, by kind name. Adding a provider is adding its definition
 * here; nothing else on the request path switches on the provider.
 */
const definitions: ProviderDefinition[] = [
  anthropicProvider,
];

export const providerRegistry: ReadonlyMap<string, ProviderDefinition> = new Map(
  definitions.map((definition) => [definition.kind, definition]),
);
