import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Perplexity (Sonar). No function tools: tool definitions are dropped (logged) and earlier tool
 * calls and results are sent as text. No `stop`; takes `top_k`. sonar-deep-research takes
 * `reasoning_effort`.
 *
 * @see https://docs.perplexity.ai/api-reference/chat-completions-post
 */
export const perplexityQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsTools: false,
  supportsParallelToolCalls: false,
  supportsStreamOptions: false,
  supportsUser: false,
  supportsTopK: true,
  maxStopSequences: 0,
  modelOverrides: [{ models: /deep-research/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels } } }],
};

export const perplexityProvider = defineOpenAICompatibleProvider({
  kind: 'perplexity',
  displayName: 'Perplexity',
  defaultBaseUrl: 'https://api.perplexity.ai',
  apiKeyEnvironmentVariable: 'PERPLEXITY_API_KEY',
  requiresKey: true,
  notes: 'No tool use (tools are dropped)',
  quirks: perplexityQuirks,
});
