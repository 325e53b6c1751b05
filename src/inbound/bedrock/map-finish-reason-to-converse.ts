import type { FinishReason } from '../../core/gateway-response.js';
import type { ConverseStopReason } from '../../providers/bedrock/converse-api-types.js';

/**
 * The Converse `stopReason` for an IR finish reason. A turn with tool calls always ends with
 * `tool_use` (clients run tools only then); refusals and filters become `content_filtered`.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */
export function mapFinishReasonToConverse(reason: FinishReason, hasToolCalls: boolean): ConverseStopReason {
  switch (reason) {
    case 'end-turn':
    case 'other':
    case 'pause-turn':
      return hasToolCalls ? 'tool_use' : 'end_turn';
    case 'tool-use':
      return 'tool_use';
    case 'max-tokens':
      return 'max_tokens';
    case 'stop-sequence':
      return 'stop_sequence';
    case 'content-filter':
    case 'refusal':
      return 'content_filtered';
    default: {
      const unreachable: never = reason;
      throw new Error(`unknown finish reason ${String(unreachable)}`);
    }
  }
}
