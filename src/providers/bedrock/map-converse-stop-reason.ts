import type { FinishReason } from '../../core/gateway-response.js';

/**
 * Maps a Converse `stopReason` to the IR finish reason. Guardrail and content-filter stops become
 * `content-filter`; running out of context window counts as `max-tokens`; malformed output and
 * unknown values are `other`.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */
export function mapConverseStopReason(stopReason: string | undefined): FinishReason {
  switch (stopReason) {
    case 'end_turn':
      return 'end-turn';
    case 'tool_use':
      return 'tool-use';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max-tokens';
    case 'stop_sequence':
      return 'stop-sequence';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content-filter';
    default:
      return 'other';
  }
}

/**
 * The stop sequence that ended generation, from `additionalModelResponseFields` (Anthropic models
 * report `stop_sequence` there, at the top level or under `delta`).
 */
export function stopSequenceFromAdditionalFields(fields: Record<string, unknown> | undefined): string | undefined {
  if (fields === undefined) return undefined;
  if (typeof fields.stop_sequence === 'string') return fields.stop_sequence;
  const delta = fields.delta;
  if (typeof delta === 'object' && delta !== null && typeof (delta as Record<string, unknown>).stop_sequence === 'string') {
    return (delta as Record<string, string>).stop_sequence;
  }
  return undefined;
}
