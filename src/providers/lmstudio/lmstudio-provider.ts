import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * LM Studio's local server (no key). Takes `top_k`, images for vision models, tools.
 *
 * @see https://lmstudio.ai/docs/developer/openai-compat
 */
export const lmStudioQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsTopK: true,
  supportsParallelToolCalls: false,
  supportsUser: false,
};

export const lmStudioProvider = defineOpenAICompatibleProvider({
  kind: 'lmstudio',
  displayName: 'LM Studio',
  defaultBaseUrl: 'http://localhost:1234/v1',
  requiresKey: false,
  notes: 'Local models',
  quirks: lmStudioQuirks,
});
