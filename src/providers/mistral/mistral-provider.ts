import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Mistral. Unknown fields are a 422 (`extra_forbidden`), so no `stream_options` (usage is sent
 * anyway) and no `user`. Forcing a tool call is `tool_choice: "any"`; tool call ids must be 9
 * letters and digits (other ids are mapped). Reasoning models answer with `thinking` content
 * chunks; Mistral Small 4 and Medium 3.5 take `reasoning_effort` `none`/`high` only.
 *
 * @see https://docs.mistral.ai/api/#tag/chat/operation/chat_completion_v1_chat_completions_post
 * @see https://docs.mistral.ai/capabilities/reasoning/adjustable
 */
export const mistralQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  supportsStreamOptions: false,
  supportsUser: false,
  toolChoiceRequired: 'any',
  toolCallIdLength: 9,
  modelOverrides: [
    {
      models: /^(mistral-small-(latest|2603)|mistral-medium-3-5)/,
      quirks: {
        reasoning: {
          style: 'reasoning-effort',
          levels: { low: 'high', medium: 'high', high: 'high', max: 'high' },
          disabledLevel: 'none',
        },
      },
    },
  ],
};

export const mistralProvider = defineOpenAICompatibleProvider({
  kind: 'mistral',
  displayName: 'Mistral',
  defaultBaseUrl: 'https://api.mistral.ai/v1',
  apiKeyEnvironmentVariable: 'MISTRAL_API_KEY',
  requiresKey: true,
  notes: 'Reasoning via `thinking` chunks; 9-character tool call ids',
  quirks: mistralQuirks,
});
