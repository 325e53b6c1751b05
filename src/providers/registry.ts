import type { ProviderDefinition } from './provider.js';
import { anthropicProvider } from './anthropic/anthropic-provider.js';
import { azureFoundryProvider } from './azure/azure-foundry-provider.js';
import { azureOpenAIProvider } from './azure/azure-openai-provider.js';
import { bedrockProvider } from './bedrock/bedrock-provider.js';
import { cerebrasProvider } from './cerebras/cerebras-provider.js';
import { deepSeekProvider } from './deepseek/deepseek-provider.js';
import { fireworksProvider } from './fireworks/fireworks-provider.js';
import { geminiProvider } from './gemini/gemini-provider.js';
import { groqProvider } from './groq/groq-provider.js';
import { lmStudioProvider } from './lmstudio/lmstudio-provider.js';
import { mistralProvider } from './mistral/mistral-provider.js';
import { ollamaProvider } from './ollama/ollama-provider.js';
import { openAICompatibleProvider } from './openai-compatible/openai-compatible-provider.js';
import { openAIProvider } from './openai/openai-provider.js';
import { openRouterProvider } from './openrouter/openrouter-provider.js';
import { perplexityProvider } from './perplexity/perplexity-provider.js';
import { togetherProvider } from './together/together-provider.js';
import { vertexProvider } from './vertex/vertex-provider.js';
import { vllmProvider } from './vllm/vllm-provider.js';
import { xaiProvider } from './xai/xai-provider.js';

/**
 * Every provider kind Heimdall knows, by kind name. Adding a provider is adding its definition
 * here; nothing else on the request path switches on the provider.
 */
const definitions: ProviderDefinition[] = [
  anthropicProvider,
  openAIProvider,
  groqProvider,
  mistralProvider,
  deepSeekProvider,
  xaiProvider,
  cerebrasProvider,
  openRouterProvider,
  togetherProvider,
  fireworksProvider,
  perplexityProvider,
  ollamaProvider,
  vllmProvider,
  lmStudioProvider,
  openAICompatibleProvider,
  bedrockProvider,
  azureOpenAIProvider,
  azureFoundryProvider,
  geminiProvider,
  vertexProvider,
];

export const providerRegistry: ReadonlyMap<string, ProviderDefinition> = new Map(
  definitions.map((definition) => [definition.kind, definition]),
);
