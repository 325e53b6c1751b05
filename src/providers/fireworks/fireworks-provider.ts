import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Fireworks AI. Takes `top_k`, at most 4 stop sequences; streams end with usage without being
 * asked. GPT-OSS takes `reasoning_effort`.
 *
 * @see https://docs.fireworks.ai/api-reference/post-chatcompletions
 * @see https://docs.fireworks.ai/guides/reasoning
 */
export const fireworksQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsStreamOptions: false,
  supportsTopK: true,
  maxStopSequences: 4,
  supportsParallelToolCalls: false,
  supportsUser: false,
  modelOverrides: [{ models: /gpt-oss/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels } } }],
};

export const fireworksProvider = defineOpenAICompatibleProvider({
  kind: 'fireworks',
  displayName: 'Fireworks AI',
  defaultBaseUrl: 'https://api.fireworks.ai/inference/v1',
  apiKeyEnvironmentVariable: 'FIREWORKS_API_KEY',
  requiresKey: true,
  quirks: fireworksQuirks,
});
