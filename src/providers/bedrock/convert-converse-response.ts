import { ProviderCallError } from '../../core/errors.js';
import type { AssistantPart } from '../../core/gateway-request.js';
import type { GatewayResponse } from '../../core/gateway-response.js';
import { convertConverseUsage } from './convert-converse-usage.js';
import { mapConverseStopReason, stopSequenceFromAdditionalFields } from './map-converse-stop-reason.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One Converse output content block → IR parts (unknown blocks, e.g. citations, are skipped). */
function convertBlock(block: Record<string, unknown>): AssistantPart[] {
  if (typeof block.text === 'string') return block.text === '' ? [] : [{ type: 'text', text: block.text }];
  if (isRecord(block.toolUse)) {
    const toolUse = block.toolUse;
    return [
      {
        type: 'tool-call',
        id: typeof toolUse.toolUseId === 'string' ? toolUse.toolUseId : '',
        name: typeof toolUse.name === 'string' ? toolUse.name : '',
        input: toolUse.input ?? {},
      },
    ];
  }
  if (isRecord(block.reasoningContent)) {
    const reasoning = block.reasoningContent;
    if (isRecord(reasoning.reasoningText)) {
      const text = typeof reasoning.reasoningText.text === 'string' ? reasoning.reasoningText.text : '';
      const signature = reasoning.reasoningText.signature;
      return [typeof signature === 'string' ? { type: 'reasoning', text, signature } : { type: 'reasoning', text }];
    }
    if (typeof reasoning.redactedContent === 'string') return [{ type: 'redacted-reasoning', data: reasoning.redactedContent }];
  }
  return [];
}

/**
 * Converts a Converse response body into the IR response.
 * @param requestedModel reported as the model (Converse responses do not name one)
 * @throws ProviderCallError (502) when the body has no `output.message.content`
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */
export function convertConverseResponse(payload: unknown, provider: string, requestedModel: string): GatewayResponse {
  const output = isRecord(payload) && isRecord(payload.output) ? payload.output : undefined;
  const message = output !== undefined && isRecord(output.message) ? output.message : undefined;
  if (!isRecord(payload) || message === undefined || !Array.isArray(message.content)) {
    throw new ProviderCallError({
      provider,
      kind: 'api_error',
      status: 502,
      message: `${provider} answered Converse without output.message.content`,
      body: JSON.stringify(payload)?.slice(0, 2000),
      retryable: false,
    });
  }
  const content = message.content.filter(isRecord).flatMap(convertBlock);
  const stopReason = typeof payload.stopReason === 'string' ? payload.stopReason : undefined;
  const response: GatewayResponse = {
    model: requestedModel,
    content,
    finishReason: mapConverseStopReason(stopReason),
    usage: convertConverseUsage(payload.usage),
  };
  const stopSequence = stopSequenceFromAdditionalFields(isRecord(payload.additionalModelResponseFields) ? payload.additionalModelResponseFields : undefined);
  if (stopSequence !== undefined) response.stopSequence = stopSequence;
  return response;
}
