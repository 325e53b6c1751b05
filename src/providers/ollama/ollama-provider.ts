import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Ollama's OpenAI-compatible endpoint (local; no key, though one is sent when configured, e.g. for
 * Ollama's cloud). Takes `stream_options`, images, tools; no `top_k`. Reasoning comes back in
 * `reasoning`. `reasoning_effort` is only sent to GPT-OSS: models that cannot think reject it.
 *
 * @see https://docs.ollama.com/api/openai-compatibility
 */
export const ollamaQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsParallelToolCalls: false,
  supportsUser: false,
  modelOverrides: [{ models: /gpt-oss/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels } } }],
};

export const ollamaProvider = defineOpenAICompatibleProvider({
  kind: 'ollama',
  displayName: 'Ollama',
  defaultBaseUrl: 'http://localhost:11434/v1',
  requiresKey: false,
  notes: 'Local models',
  quirks: ollamaQuirks,
});
