import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Cerebras. `max_completion_tokens`, at most 4 stop sequences, text only. GPT-OSS takes
 * `reasoning_effort` (`low`/`medium`/`high`); reasoning comes back in `reasoning`.
 *
 * @see https://inference-docs.cerebras.ai/api-reference/chat-completions
 * @see https://inference-docs.cerebras.ai/capabilities/reasoning
 */
export const cerebrasQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  maxTokensField: 'max_completion_tokens',
  maxStopSequences: 4,
  supportsImages: false,
  modelOverrides: [{ models: /gpt-oss/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels } } }],
};

export const cerebrasProvider = defineOpenAICompatibleProvider({
  kind: 'cerebras',
  displayName: 'Cerebras',
  defaultBaseUrl: 'https://api.cerebras.ai/v1',
  apiKeyEnvironmentVariable: 'CEREBRAS_API_KEY',
  requiresKey: true,
  notes: 'Text only; reasoning effort on GPT-OSS',
  quirks: cerebrasQuirks,
});
