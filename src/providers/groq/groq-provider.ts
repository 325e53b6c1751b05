import { defineOpenAICompatibleProvider } from '../openai-compatible/define-openai-compatible-provider.js';
import { baseOpenAICompatibleQuirks, standardEffortLevels, type OpenAICompatibleQuirks } from '../openai-compatible/openai-compatible-quirks.js';

/**
 * Groq. At most 4 stop sequences; usage also arrives in `x_groq.usage`. Reasoning comes back in
 * `reasoning`; earlier reasoning cannot be sent back (`reasoning_content` on an assistant message
 * is a 400). Qwen 3 takes `reasoning_effort` `none`/`default` only, and `reasoning_format: parsed`
 * keeps its thinking out of the text; GPT-OSS takes `low`/`medium`/`high`. Other models take neither
 * field, so nothing is sent to them. `json_schema` output only on GPT-OSS, Llama 4 and Kimi K2; other
 * models get `json_object` with the schema as an instruction.
 *
 * @see https://console.groq.com/docs/api-reference#chat-create
 * @see https://console.groq.com/docs/reasoning
 */
export const groqQuirks: OpenAICompatibleQuirks = {
  ...baseOpenAICompatibleQuirks,
  maxTokensField: 'max_completion_tokens',
  maxStopSequences: 4,
  responseFormat: 'json-object',
  modelOverrides: [
    { models: /^(openai\/gpt-oss|meta-llama\/llama-4|moonshotai\/kimi-k2)/, quirks: { responseFormat: 'json-schema' } },
    {
      models: /^qwen\/qwen3/,
      quirks: {
        reasoning: {
          style: 'reasoning-effort',
          levels: { low: 'default', medium: 'default', high: 'default', max: 'default' },
          disabledLevel: 'none',
        },
        extraBody: { reasoning_format: 'parsed' },
      },
    },
    { models: /^openai\/gpt-oss/, quirks: { reasoning: { style: 'reasoning-effort', levels: standardEffortLevels } } },
  ],
};

export const groqProvider = defineOpenAICompatibleProvider({
  kind: 'groq',
  displayName: 'Groq',
  defaultBaseUrl: 'https://api.groq.com/openai/v1',
  apiKeyEnvironmentVariable: 'GROQ_API_KEY',
  requiresKey: true,
  notes: 'Reasoning effort on Qwen 3 and GPT-OSS',
  quirks: groqQuirks,
});
