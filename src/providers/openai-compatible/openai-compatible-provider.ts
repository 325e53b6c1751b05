import { defineOpenAICompatibleProvider } from './define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks } from './openai-compatible-quirks.js';

/**
 * Any other server that speaks OpenAI Chat Completions (LiteLLM, llama.cpp, SGLang, a company
 * proxy, …). It gets the reference behaviour: Bearer key when one is configured, `max_tokens`,
 * `stream_options`, images, tools, no reasoning control. The base URL must be configured.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
export const openAICompatibleProvider = defineOpenAICompatibleProvider({
  kind: 'openai-compatible',
  displayName: 'OpenAI-compatible endpoint',
  requiresKey: false,
  notes: 'Any Chat Completions server; set `base_url`',
  quirks: baseOpenAICompatibleQuirks,
});
