import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * OpenRouter. Reasoning is asked for with its unified `reasoning` object (`effort`, or a token
 * budget as `max_tokens`) and comes back in `reasoning`. Takes `top_k`, PDFs as `file` parts, and
 * passes `cache_control` on text parts through to Anthropic (and Gemini) models.
 *
 * @see https://openrouter.ai/docs/api-reference/chat-completion
 * @see https://openrouter.ai/docs/use-cases/reasoning-tokens
 * @see https://openrouter.ai/docs/features/prompt-caching
 */
export const openRouterQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsTopK: true,
  supportsPdfFiles: true,
  passCacheControl: true,
  reasoning: { style: 'reasoning-object', levels: { low: 'low', medium: 'medium', high: 'high', max: 'high' } },
};

export const openRouterProvider = defineOpenAICompatibleProvider({
  kind: 'openrouter',
  displayName: 'OpenRouter',
  defaultBaseUrl: 'https://openrouter.ai/api/v1',
  apiKeyEnvironmentVariable: 'OPENROUTER_API_KEY',
  requiresKey: true,
  notes: 'Unified reasoning control; prompt caching passed through',
  quirks: openRouterQuirks,
});
