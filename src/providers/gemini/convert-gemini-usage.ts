import type { Usage } from '../../core/gateway-response.js';
import type { GeminiUsageMetadata } from './gemini-api-types.js';

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * Converts Gemini `usageMetadata` into IR usage with Anthropic's semantics, or undefined when the
 * chunk carries no token counts (Vertex streams send `{trafficType}` alone until the last chunk).
 *
 * - `inputTokens` = `promptTokenCount` + `toolUsePromptTokenCount` − `cachedContentTokenCount`
 *   (Gemini's prompt count includes cached tokens; Anthropic's input count excludes them);
 * - `cacheReadTokens` = `cachedContentTokenCount`; Gemini reports no cache writes (0);
 * - `outputTokens` = `candidatesTokenCount` + `thoughtsTokenCount` (Gemini counts thoughts apart;
 *   Anthropic's output count includes thinking), `reasoningTokens` = `thoughtsTokenCount`.
 *
 * @see https://ai.google.dev/api/generate-content#UsageMetadata
 */
export function convertGeminiUsage(metadata: GeminiUsageMetadata | undefined): Usage | undefined {
  if (metadata === undefined || metadata === null || typeof metadata !== 'object') return undefined;
  if (metadata.promptTokenCount === undefined && metadata.candidatesTokenCount === undefined && metadata.totalTokenCount === undefined) {
    return undefined;
  }
  const cached = count(metadata.cachedContentTokenCount);
  const prompt = count(metadata.promptTokenCount) + count(metadata.toolUsePromptTokenCount);
  const thoughts = count(metadata.thoughtsTokenCount);
  const usage: Usage = {
    inputTokens: Math.max(0, prompt - cached),
    outputTokens: count(metadata.candidatesTokenCount) + thoughts,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
  if (thoughts > 0) usage.reasoningTokens = thoughts;
  return usage;
}
