import type { Usage } from '../../core/gateway-response.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Converts a Chat Completions `usage` object into IR usage (Anthropic semantics: `inputTokens`
 * excludes cached tokens). Returns `undefined` when `usage` is not an object with token counts.
 *
 * - cached prompt tokens: `prompt_tokens_details.cached_tokens` (OpenAI, xAI, Groq, Mistral),
 *   DeepSeek's `prompt_cache_hit_tokens`, or Moonshot's top-level `cached_tokens`; they are part of
 *   `prompt_tokens` and are taken out of `inputTokens` into `cacheReadTokens`;
 * - `outputTokens` is `completion_tokens`, which includes reasoning at OpenAI. xAI leaves reasoning
 *   out of `completion_tokens` (its `total_tokens` is prompt + completion + reasoning): when the
 *   total says so, reasoning tokens are added to `outputTokens`;
 * - `reasoningTokens` from `completion_tokens_details.reasoning_tokens`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
 * @see https://api-docs.deepseek.com/api/create-chat-completion
 */
export function convertOpenAIUsage(usage: unknown): Usage | undefined {
  const fields = record(usage);
  if (fields === undefined) return undefined;
  const promptTokens = count(fields.prompt_tokens);
  const completionTokens = count(fields.completion_tokens);
  if (promptTokens === undefined && completionTokens === undefined) return undefined;
  const prompt = promptTokens ?? 0;
  const completion = completionTokens ?? 0;

  const promptDetails = record(fields.prompt_tokens_details);
  const cached = Math.min(
    prompt,
    count(promptDetails?.cached_tokens) ?? count(fields.prompt_cache_hit_tokens) ?? count(fields.cached_tokens) ?? 0,
  );

  const reasoningTokens = count(record(fields.completion_tokens_details)?.reasoning_tokens);
  const totalTokens = count(fields.total_tokens);
  const reasoningOutsideCompletion =
    reasoningTokens !== undefined && reasoningTokens > 0 && totalTokens === prompt + completion + reasoningTokens;

  const converted: Usage = {
    inputTokens: prompt - cached,
    outputTokens: reasoningOutsideCompletion ? completion + reasoningTokens : completion,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
  if (reasoningTokens !== undefined) converted.reasoningTokens = reasoningTokens;
  return converted;
}
