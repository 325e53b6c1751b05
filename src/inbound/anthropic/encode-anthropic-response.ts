import type { AssistantPart } from '../../core/gateway-request.js';
import type { GatewayResponse } from '../../core/gateway-response.js';
import { newAnthropicToolUseId } from './anthropic-message-id.js';
import { mapFinishReasonToStopReason } from './map-finish-reason-to-stop-reason.js';

/** An Anthropic response content block, as sent on the wire. */
export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

/** Anthropic's non-streaming Message object. @see https://docs.anthropic.com/en/api/messages */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: string;
  stop_sequence: string | null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens: number;
    cache_read_input_tokens: number;
  };
}

function encodePart(part: AssistantPart, unsignedThinkingSignature: string): AnthropicContentBlock {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'reasoning':
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? unsignedThinkingSignature };
    case 'redacted-reasoning':
      return { type: 'redacted_thinking', data: part.data };
    case 'tool-call':
      return { type: 'tool_use', id: part.id === '' ? newAnthropicToolUseId() : part.id, name: part.name, input: part.input };
    default: {
      const unreachable: never = part;
      throw new Error(`unknown part ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Encodes an IR response as Anthropic's Message object.
 * @param messageId the id to report; model the model name to report to the caller
 * @param unsignedThinkingSignature the signature of thinking the upstream did not sign (Heimdall's
 *   marker for thinking from a translated provider, see `routing/thinking-signatures.ts`); default empty
 */
export function encodeAnthropicResponse(response: GatewayResponse, messageId: string, model: string, unsignedThinkingSignature = ''): AnthropicMessage {
  const content = response.content.map((part) => encodePart(part, unsignedThinkingSignature));
  const hasToolCalls = content.some((block) => block.type === 'tool_use');
  const stopReason = mapFinishReasonToStopReason(response.finishReason, hasToolCalls);
  return {
    id: messageId,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === 'stop_sequence' ? (response.stopSequence ?? null) : null,
    usage: {
      input_tokens: response.usage.inputTokens,
      output_tokens: response.usage.outputTokens,
      cache_creation_input_tokens: response.usage.cacheWriteTokens,
      cache_read_input_tokens: response.usage.cacheReadTokens,
    },
  };
}
