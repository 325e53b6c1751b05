import type { FinishReason } from '../../core/gateway-response.js';

/** Anthropic's `stop_reason` values. @see https://docs.anthropic.com/en/api/handling-stop-reasons */
export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

/**
 * Maps the IR finish reason to Anthropic's `stop_reason`. `hasToolCalls` corrects providers that
 * finish a tool-calling turn with a plain "stop": Claude Code only runs tools on `tool_use`.
 */
export function mapFinishReasonToStopReason(reason: FinishReason, hasToolCalls: boolean): AnthropicStopReason {
  switch (reason) {
    case 'end-turn':
    case 'other':
      return hasToolCalls ? 'tool_use' : 'end_turn';
    case 'max-tokens':
      return 'max_tokens';
    case 'stop-sequence':
      return 'stop_sequence';
    case 'tool-use':
      return 'tool_use';
    case 'content-filter':
    case 'refusal':
      return 'refusal';
    case 'pause-turn':
      return 'pause_turn';
    default: {
      const unreachable: never = reason;
      throw new Error(`unknown finish reason ${String(unreachable)}`);
    }
  }
}
