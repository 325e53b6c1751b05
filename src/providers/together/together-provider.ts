import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Together AI. Takes `top_k`; streams end with usage without being asked, so no
 * `stream_options` is sent. GPT-OSS takes `reasoning_effort`; reasoning comes back in `reasoning`.
 *
 * @see https://docs.together.ai/reference/chat-completions-1
 * @see https://docs.together.ai/docs/reasoning-models-guide
 */
export const togetherQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsStreamOptions: false,
  supportsTopK: true,
  supportsParallelToolCalls: false,
  supportsUser: false,
  modelOverrides: [{ models: /gpt-oss/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels } } }],
};

export const togetherProvider = defineOpenAICompatibleProvider({
  kind: 'together',
  displayName: 'Together AI',
  defaultBaseUrl: 'https://api.together.xyz/v1',
  apiKeyEnvironmentVariable: 'TOGETHER_API_KEY',
  requiresKey: true,
  quirks: togetherQuirks,
});
