import type { Usage } from '../../core/gateway-response.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import { applyPartialArgument } from './apply-partial-argument.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import type { GeminiFunctionCall, GeminiGenerateContentResponse, GeminiPart } from './gemini-api-types.js';
import { newGeminiToolCallId, reasoningSignatureFromThoughtSignature } from './gemini-thought-signature.js';
import { finishReasonWithFunctionCalls, isPromptBlocked, mapGeminiFinishReason } from './map-gemini-finish-reason.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A function call whose arguments are still streaming (Vertex `partialArgs`). */
interface OpenFunctionCall {
  index: number;
  arguments: Record<string, unknown>;
}

/**
 * Turns the chunks of one `streamGenerateContent` stream (each a `GenerateContentResponse`) into IR
 * stream events. One translator per stream: {@link push} every parsed chunk, then {@link end}.
 *
 * - `response-metadata` (`responseId`, `modelVersion`) comes first, once. Only candidate 0 is read.
 * - Text parts → `text-delta`; thought parts (`thought: true`) → `reasoning-delta`, and a
 *   signature on a thought part → `reasoning-signature` (prefixed, see `gemini-thought-signature.ts`).
 *   A signature on a plain text part is not kept: Gemini does not require it back.
 * - Function calls: Gemini sends each call whole (`{name, args}`) in one part; it becomes
 *   `tool-call-start` + one `tool-call-delta` with the arguments' JSON. Calls get generated ids
 *   (Gemini has none) that carry the part's thought signature. Vertex's streamed arguments
 *   (`willContinue` + `partialArgs` pieces by JSON path, ended by a part without `willContinue`)
 *   are assembled and sent as one delta when the call is complete.
 * - `usageMetadata` is cumulative in every chunk: the last one counts, emitted by {@link end}
 *   before `finish`. A turn with function calls finishes as `tool-use`; a prompt refused by
 *   `promptFeedback.blockReason` as `content-filter`.
 *
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling#streaming-arguments
 */
export class GeminiStreamTranslator {
  private metadataSent = false;
  private usage: Usage | undefined;
  private finishReason: string | undefined;
  private promptBlocked = false;
  private nextToolIndex = 0;
  private openCall: OpenFunctionCall | undefined;
  private ended = false;

  constructor(private readonly sink: StreamEventSink) {}

  /** Whether the stream reported how it finished (a finish reason or a refused prompt). */
  get sawFinishReason(): boolean {
    return this.finishReason !== undefined || this.promptBlocked;
  }

  /** Handles one parsed chunk. Values that are not response objects are ignored. */
  push(chunk: unknown): void {
    if (this.ended) return;
    const response = record(chunk) as GeminiGenerateContentResponse | undefined;
    if (response === undefined) return;
    if (!this.metadataSent) {
      this.metadataSent = true;
      const id = typeof response.responseId === 'string' && response.responseId !== '' ? response.responseId : undefined;
      const model = typeof response.modelVersion === 'string' && response.modelVersion !== '' ? response.modelVersion : undefined;
      this.sink.event({ type: 'response-metadata', ...(id === undefined ? {} : { id }), ...(model === undefined ? {} : { model }) });
    }
    const usage = convertGeminiUsage(response.usageMetadata);
    if (usage !== undefined) this.usage = usage;
    if (isPromptBlocked(response.promptFeedback?.blockReason)) this.promptBlocked = true;
    const candidates = Array.isArray(response.candidates) ? response.candidates : [];
    const candidate = candidates.find((item) => record(item) !== undefined && (item.index === undefined || item.index === 0));
    if (candidate === undefined) return;
    const parts = Array.isArray(candidate.content?.parts) ? candidate.content.parts : [];
    for (const part of parts) {
      const fields = record(part);
      if (fields !== undefined) this.pushPart(fields as GeminiPart);
    }
    if (typeof candidate.finishReason === 'string' && candidate.finishReason !== '') this.finishReason = candidate.finishReason;
  }

  /** Ends the stream: completes an open call, emits usage (when reported) and `finish`. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.completeOpenCall();
    if (this.usage !== undefined) this.sink.event({ type: 'usage', usage: this.usage });
    const reason = this.promptBlocked && this.finishReason === undefined ? 'content-filter' : mapGeminiFinishReason(this.finishReason);
    this.sink.event({ type: 'finish', reason: finishReasonWithFunctionCalls(reason, this.nextToolIndex > 0) });
  }

  private pushPart(part: GeminiPart): void {
    const functionCall = record(part.functionCall);
    if (functionCall !== undefined) {
      this.pushFunctionCall(functionCall as GeminiFunctionCall, part.thoughtSignature);
      return;
    }
    this.completeOpenCall();
    const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
    if (part.thought === true) {
      if (typeof part.text === 'string' && part.text !== '') this.sink.event({ type: 'reasoning-delta', text: part.text });
      if (signature !== undefined) this.sink.event({ type: 'reasoning-signature', signature: reasoningSignatureFromThoughtSignature(signature) });
      return;
    }
    if (typeof part.text === 'string' && part.text !== '') this.sink.event({ type: 'text-delta', text: part.text });
  }

  private pushFunctionCall(call: GeminiFunctionCall, thoughtSignature: unknown): void {
    const name = typeof call.name === 'string' && call.name !== '' ? call.name : undefined;
    const pieces = Array.isArray(call.partialArgs) ? call.partialArgs : [];
    if (name === undefined) {
      // the continuation (or the empty terminator) of a call whose arguments stream
      const open = this.openCall;
      if (open === undefined) return;
      for (const piece of pieces) if (record(piece) !== undefined) applyPartialArgument(open.arguments, piece);
      if (call.willContinue !== true) this.completeOpenCall();
      return;
    }
    this.completeOpenCall();
    const index = this.nextToolIndex;
    this.nextToolIndex += 1;
    const signature = typeof thoughtSignature === 'string' ? thoughtSignature : undefined;
    this.sink.event({ type: 'tool-call-start', index, id: newGeminiToolCallId(signature), name });
    const argumentsObject: Record<string, unknown> = { ...(record(call.args) ?? {}) };
    for (const piece of pieces) if (record(piece) !== undefined) applyPartialArgument(argumentsObject, piece);
    if (call.willContinue === true && call.args === undefined) {
      this.openCall = { index, arguments: argumentsObject };
      return;
    }
    this.sink.event({ type: 'tool-call-delta', index, argumentsDelta: JSON.stringify(argumentsObject) });
  }

  private completeOpenCall(): void {
    const open = this.openCall;
    if (open === undefined) return;
    this.openCall = undefined;
    this.sink.event({ type: 'tool-call-delta', index: open.index, argumentsDelta: JSON.stringify(open.arguments) });
  }
}
