import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * OpenAI Chat Completions. `max_completion_tokens` (all models take it; reasoning models take
 * nothing else), at most 4 stop sequences, PDFs as `file` parts, `user` at most 64 characters.
 * Reasoning models (o-series, gpt-5 except the `-chat` ones) use the `developer` role, take
 * `reasoning_effort` (low/medium/high; IR `max` → `high`) and reject `temperature`, `top_p` and `stop`;
 * the o-series also rejects `parallel_tool_calls`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 * @see https://platform.openai.com/docs/guides/reasoning
 */
export const openAIQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  maxTokensField: 'max_completion_tokens',
  maxStopSequences: 4,
  supportsPdfFiles: true,
  maxUserLength: 64,
  modelOverrides: [
    {
      models: /^(o\d|gpt-5)(?!.*-chat)/,
      quirks: {
        systemRole: 'developer',
        supportsSamplingParameters: false,
        maxStopSequences: 0,
        reasoning: { style: 'reasoning-effort', levels: standardEffortLevels },
      },
    },
    { models: /^o\d/, quirks: { supportsParallelToolCalls: false } },
  ],
};

export const openAIProvider = defineOpenAICompatibleProvider({
  kind: 'openai',
  displayName: 'OpenAI',
  defaultBaseUrl: 'https://api.openai.com/v1',
  apiKeyEnvironmentVariable: 'OPENAI_API_KEY',
  requiresKey: true,
  notes: 'Chat Completions; reasoning effort on o-series and gpt-5',
  quirks: openAIQuirks,
});
