import type { FinishReason } from '../../core/gateway-response.js';

/**
 * Maps a Chat Completions `finish_reason` to the IR's. Total: any value, including `null`,
 * `undefined` and values only some providers send (`error`, `abort`, …), maps to something.
 *
 * - `stop` → `end-turn`. OpenAI reports a matched stop sequence as `stop` too, without saying
 *   which one, so `stop-sequence` cannot be told apart and is never produced here.
 * - `length` → `max-tokens`; `tool_calls` and the legacy `function_call` → `tool-use`;
 *   `content_filter` → `content-filter`; anything else → `other`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 */
export function mapOpenAIFinishReason(finishReason: string | null | undefined): FinishReason {
  switch (finishReason) {
    case 'stop':
      return 'end-turn';
    case 'length':
      return 'max-tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool-use';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/**
 * The finish reason of a response that made tool calls. Some servers (older Ollama and vLLM
 * builds, some Gemini-compatible endpoints) answer `stop` after calling tools; Anthropic clients
 * only run tools on `tool_use`, so a normal stop with tool calls becomes `tool-use`.
 */
export function finishReasonWithToolCalls(reason: FinishReason, madeToolCalls: boolean): FinishReason {
  return madeToolCalls && (reason === 'end-turn' || reason === 'other') ? 'tool-use' : reason;
}
