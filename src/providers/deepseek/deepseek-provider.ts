import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * DeepSeek. Text only (no images), up to 16 stop sequences, cache hits in
 * `prompt_cache_hit_tokens`. Thinking mode is switched with `thinking: {type}` and its depth with
 * `reasoning_effort` (`low`/`high`/`max`; DeepSeek itself maps `medium` to `high`). In thinking mode
 * an assistant message with tool calls must carry its `reasoning_content` in every later request
 * (400 otherwise), so earlier reasoning is sent back, as an empty string where none is known.
 * Structured output is `json_object` only: the schema goes into the system prompt.
 *
 * @see https://api-docs.deepseek.com/api/create-chat-completion
 * @see https://api-docs.deepseek.com/guides/thinking_mode
 */
export const deepSeekQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  maxStopSequences: 16,
  supportsImages: false,
  supportsParallelToolCalls: false,
  supportsUser: false,
  thinkingToggle: true,
  reasoning: { style: 'reasoning-effort', levels: { low: 'low', medium: 'high', high: 'high', max: 'max' } },
  reasoningReplay: 'reasoning_content',
  responseFormat: 'json-object',
};

export const deepSeekProvider = defineOpenAICompatibleProvider({
  kind: 'deepseek',
  displayName: 'DeepSeek',
  defaultBaseUrl: 'https://api.deepseek.com/v1',
  apiKeyEnvironmentVariable: 'DEEPSEEK_API_KEY',
  requiresKey: true,
  notes: 'Thinking mode with reasoning sent back beside tool calls',
  quirks: deepSeekQuirks,
});
