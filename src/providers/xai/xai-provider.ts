import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * xAI (Grok). Reasoning models reject `stop` (and the penalties Heimdall never sends); only
 * grok-3-mini (`low`/`high`) and grok-4.3 (`none`/`low`/`medium`/`high`) take `reasoning_effort`,
 * the other reasoning models 400 on it. Reasoning text comes in `reasoning_content`; xAI counts
 * reasoning tokens outside `completion_tokens` (handled in the usage conversion).
 *
 * @see https://docs.x.ai/docs/api-reference#chat-completions
 * @see https://docs.x.ai/docs/guides/reasoning
 */
export const xaiQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  modelOverrides: [
    { models: /^grok-(3-mini|4(?!.*non-reasoning)|code)/, quirks: { maxStopSequences: 0 } },
    {
      models: /^grok-3-mini/,
      quirks: { reasoning: { style: 'reasoning-effort', levels: { low: 'low', medium: 'high', high: 'high', max: 'high' } } },
    },
    { models: /^grok-4\.3/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels, disabledLevel: 'none' } } },
  ],
};

export const xaiProvider = defineOpenAICompatibleProvider({
  kind: 'xai',
  displayName: 'xAI',
  defaultBaseUrl: 'https://api.x.ai/v1',
  apiKeyEnvironmentVariable: 'XAI_API_KEY',
  requiresKey: true,
  notes: 'Grok; reasoning effort on grok-3-mini and grok-4.3',
  quirks: xaiQuirks,
});
