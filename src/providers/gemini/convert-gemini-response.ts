import type { AssistantPart } from '../../core/gateway-request.js';
import { emptyUsage, type GatewayResponse } from '../../core/gateway-response.js';
import { applyPartialArgument } from './apply-partial-argument.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import type { GeminiGenerateContentResponse, GeminiPart } from './gemini-api-types.js';
import { newGeminiToolCallId, reasoningSignatureFromThoughtSignature } from './gemini-thought-signature.js';
import { finishReasonWithFunctionCalls, isPromptBlocked, mapGeminiFinishReason } from './map-gemini-finish-reason.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Converts a `generateContent` response body into an IR response. Reads candidate 0:
 * consecutive thought parts become one reasoning part (with the signature of the last one, as a
 * Gemini reasoning signature), consecutive text parts one text part, and each `functionCall` a
 * tool call with a generated id carrying its thought signature (see `gemini-thought-signature.ts`).
 * Usage through {@link convertGeminiUsage} (zeros when absent); a turn with function calls finishes
 * as `tool-use`, a refused prompt as `content-filter`.
 *
 * @param options.requestedModel reported when the response names no `modelVersion`
 * @see https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 */
export function convertGeminiResponse(body: unknown, options: { requestedModel: string }): GatewayResponse {
  const response = (record(body) ?? {}) as GeminiGenerateContentResponse;
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const candidate = candidates.find((item) => record(item) !== undefined && (item.index === undefined || item.index === 0));
  const parts = Array.isArray(candidate?.content?.parts) ? candidate.content.parts : [];

  const content: AssistantPart[] = [];
  for (const value of parts) {
    const part = record(value) as GeminiPart | undefined;
    if (part === undefined) continue;
    const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
    const functionCall = record(part.functionCall);
    if (functionCall !== undefined) {
      if (typeof functionCall.name !== 'string' || functionCall.name === '') continue;
      const input: Record<string, unknown> = { ...(record(functionCall.args) ?? {}) };
      if (Array.isArray(functionCall.partialArgs)) {
        for (const piece of functionCall.partialArgs) if (record(piece) !== undefined) applyPartialArgument(input, piece);
      }
      content.push({ type: 'tool-call', id: newGeminiToolCallId(signature), name: functionCall.name, input });
      continue;
    }
    if (typeof part.text !== 'string') continue;
    const last = content[content.length - 1];
    if (part.thought === true) {
      if (last !== undefined && last.type === 'reasoning' && last.signature === undefined) last.text += part.text;
      else content.push({ type: 'reasoning', text: part.text });
      const reasoning = content[content.length - 1];
      if (signature !== undefined && reasoning.type === 'reasoning') reasoning.signature = reasoningSignatureFromThoughtSignature(signature);
      continue;
    }
    if (part.text === '') continue;
    if (last !== undefined && last.type === 'text') last.text += part.text;
    else content.push({ type: 'text', text: part.text });
  }

  const blocked = isPromptBlocked(response.promptFeedback?.blockReason);
  const finishReason = typeof candidate?.finishReason === 'string' ? candidate.finishReason : undefined;
  const reason = blocked && finishReason === undefined ? 'content-filter' : mapGeminiFinishReason(finishReason);
  const result: GatewayResponse = {
    model: typeof response.modelVersion === 'string' && response.modelVersion !== '' ? response.modelVersion : options.requestedModel,
    content,
    finishReason: finishReasonWithFunctionCalls(reason, content.some((part) => part.type === 'tool-call')),
    usage: convertGeminiUsage(response.usageMetadata) ?? emptyUsage(),
  };
  if (typeof response.responseId === 'string' && response.responseId !== '') result.id = response.responseId;
  return result;
}
