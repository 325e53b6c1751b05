import type { Usage } from '../../core/gateway-response.js';

/**
 * Converse usage → IR usage. Converse's `inputTokens` already excludes prompt-cache reads and
 * writes (`cacheReadInputTokens`, `cacheWriteInputTokens`), matching the IR's Anthropic semantics.
 * Missing counters are 0.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html
 */
export function convertConverseUsage(usage: unknown): Usage {
  const record = typeof usage === 'object' && usage !== null ? (usage as Record<string, unknown>) : {};
  const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  return {
    inputTokens: count(record.inputTokens),
    outputTokens: count(record.outputTokens),
    cacheReadTokens: count(record.cacheReadInputTokens),
    cacheWriteTokens: count(record.cacheWriteInputTokens),
  };
}
