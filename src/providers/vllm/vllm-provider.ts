import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * vLLM's OpenAI-compatible server (self-hosted; the base URL must be configured, the key is
 * optional: `--api-key`). Takes `top_k` and `stream_options`; reasoning parsers put reasoning in
 * `reasoning_content` (older) or `reasoning` (newer), both read.
 *
 * @see https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
 * @see https://docs.vllm.ai/en/latest/features/reasoning_outputs.html
 */
export const vllmQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsTopK: true,
};

export const vllmProvider = defineOpenAICompatibleProvider({
  kind: 'vllm',
  displayName: 'vLLM',
  requiresKey: false,
  notes: 'Self-hosted; set `base_url`',
  quirks: vllmQuirks,
});
