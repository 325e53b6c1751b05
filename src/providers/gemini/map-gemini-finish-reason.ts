import type { FinishReason } from '../../core/gateway-response.js';

/**
 * Maps a Gemini `finishReason` (or a `promptFeedback.blockReason`) to the IR's. Total: unknown
 * values map to `other`.
 *
 * - `STOP` → `end-turn` (Gemini reports a matched stop sequence as `STOP` too, without saying
 *   which, so `stop-sequence` is never produced);
 * - `MAX_TOKENS` → `max-tokens`;
 * - `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`, `IMAGE_SAFETY`,
 *   `IMAGE_PROHIBITED_CONTENT`, `IMAGE_RECITATION` and prompt block reasons → `content-filter`;
 * - `MALFORMED_FUNCTION_CALL`, `UNEXPECTED_TOOL_CALL`, `TOO_MANY_TOOL_CALLS`,
 *   `MISSING_THOUGHT_SIGNATURE`, `LANGUAGE`, `OTHER`, unspecified → `other`.
 *
 * A turn that made function calls is reported as `tool-use` by {@link finishReasonWithFunctionCalls}.
 *
 * @see https://ai.google.dev/api/generate-content#FinishReason
 */
export function mapGeminiFinishReason(finishReason: string | undefined): FinishReason {
  switch (finishReason) {
    case 'STOP':
      return 'end-turn';
    case 'MAX_TOKENS':
      return 'max-tokens';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content-filter';
    default:
      return 'other';
  }
}

/**
 * The finish reason of a turn that made function calls: Gemini answers `STOP` after calling
 * functions, and Anthropic clients only run tools on `tool_use`, so a normal stop becomes
 * `tool-use`. Truncation (`max-tokens`) and filtering are kept.
 */
export function finishReasonWithFunctionCalls(reason: FinishReason, madeFunctionCalls: boolean): FinishReason {
  return madeFunctionCalls && (reason === 'end-turn' || reason === 'other') ? 'tool-use' : reason;
}

/** `promptFeedback.blockReason` values (the prompt itself was refused; no candidates). */
export function isPromptBlocked(blockReason: unknown): boolean {
  return typeof blockReason === 'string' && blockReason !== '' && blockReason !== 'BLOCK_REASON_UNSPECIFIED';
}
