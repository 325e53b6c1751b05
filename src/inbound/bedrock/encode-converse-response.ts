import type { AssistantPart } from '../../core/gateway-request.js';
import type { GatewayResponse, Usage } from '../../core/gateway-response.js';
import type { ConverseContentBlock, ConverseResponseBody, ConverseUsage } from '../../providers/bedrock/converse-api-types.js';
import { newAnthropicToolUseId } from '../anthropic/anthropic-message-id.js';
import { mapFinishReasonToConverse } from './map-finish-reason-to-converse.js';

/** IR usage → Converse usage (`totalTokens` includes cache reads and writes). */
export function encodeConverseUsage(usage: Usage): ConverseUsage {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    cacheReadInputTokens: usage.cacheReadTokens,
    cacheWriteInputTokens: usage.cacheWriteTokens,
  };
}

function encodePart(part: AssistantPart): ConverseContentBlock {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'tool-call':
      return { toolUse: { toolUseId: part.id === '' ? newAnthropicToolUseId() : part.id, name: part.name, input: part.input ?? {} } };
    case 'reasoning':
      return { reasoningContent: { reasoningText: part.signature === undefined ? { text: part.text } : { text: part.text, signature: part.signature } } };
    case 'redacted-reasoning':
      return { reasoningContent: { redactedContent: part.data } };
    default: {
      const unreachable: never = part;
      throw new Error(`unknown part ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Encodes an IR response as a Converse response body.
 * @param latencyMs reported as `metrics.latencyMs`, milliseconds
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */
export function encodeConverseResponse(response: GatewayResponse, latencyMs: number): ConverseResponseBody {
  const content = response.content.map(encodePart);
  const hasToolCalls = content.some((block) => block.toolUse !== undefined);
  const body: ConverseResponseBody = {
    output: { message: { role: 'assistant', content } },
    stopReason: mapFinishReasonToConverse(response.finishReason, hasToolCalls),
    usage: encodeConverseUsage(response.usage),
    metrics: { latencyMs },
  };
  if (response.stopSequence !== undefined) body.additionalModelResponseFields = { stop_sequence: response.stopSequence };
  return body;
}
