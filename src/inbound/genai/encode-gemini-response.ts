import type { AssistantPart } from '../../core/gateway-request.js';
import type { GatewayResponse, Usage } from '../../core/gateway-response.js';
import type { GeminiGenerateContentResponse, GeminiPart, GeminiUsageMetadata } from '../../providers/gemini/gemini-api-types.js';
import { thoughtSignatureFromReasoningSignature } from '../../providers/gemini/gemini-thought-signature.js';
import { mapFinishReasonToGemini } from './map-finish-reason-to-gemini.js';

/**
 * IR usage → Gemini `usageMetadata`: the prompt count includes cached tokens (Gemini's
 * semantics), the candidates count excludes thoughts, which are counted apart.
 * @see https://ai.google.dev/api/generate-content#UsageMetadata
 */
export function encodeGeminiUsage(usage: Usage): GeminiUsageMetadata {
  const reasoning = usage.reasoningTokens ?? 0;
  const prompt = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const metadata: GeminiUsageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: Math.max(0, usage.outputTokens - reasoning),
    totalTokenCount: prompt + usage.outputTokens,
  };
  if (usage.cacheReadTokens > 0) metadata.cachedContentTokenCount = usage.cacheReadTokens;
  if (reasoning > 0) metadata.thoughtsTokenCount = reasoning;
  return metadata;
}

/** One IR assistant part as Gemini parts (redacted reasoning has no Gemini form). */
export function encodeGeminiParts(part: AssistantPart): GeminiPart[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }];
    case 'reasoning': {
      const encoded: GeminiPart = { text: part.text, thought: true };
      if (part.signature !== undefined) encoded.thoughtSignature = thoughtSignatureFromReasoningSignature(part.signature) ?? part.signature;
      return [encoded];
    }
    case 'redacted-reasoning':
      return [];
    case 'tool-call':
      return [{ functionCall: { id: part.id, name: part.name, args: isRecord(part.input) ? part.input : {} } }];
    default: {
      const unreachable: never = part;
      throw new Error(`unknown part ${JSON.stringify(unreachable)}`);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Encodes an IR response as a Gemini `GenerateContentResponse` (one candidate, role `model`).
 * Tool calls carry their ids in `functionCall.id`, which Gemini clients send back in
 * `functionResponse.id`.
 * @param model the model name to report (`modelVersion`); responseId the id to report
 * @see https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 */
export function encodeGeminiResponse(response: GatewayResponse, model: string, responseId: string): GeminiGenerateContentResponse {
  return {
    candidates: [
      {
        content: { role: 'model', parts: response.content.flatMap(encodeGeminiParts) },
        finishReason: mapFinishReasonToGemini(response.finishReason),
        index: 0,
      },
    ],
    usageMetadata: encodeGeminiUsage(response.usage),
    modelVersion: model,
    responseId,
  };
}
