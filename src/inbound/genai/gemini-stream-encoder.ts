import type { GatewayError } from '../../core/errors.js';
import { emptyUsage, type FinishReason, type Usage } from '../../core/gateway-response.js';
import type { StreamEvent, StreamEventSink } from '../../core/stream-events.js';
import type { GeminiGenerateContentResponse, GeminiPart } from '../../providers/gemini/gemini-api-types.js';
import { thoughtSignatureFromReasoningSignature } from '../../providers/gemini/gemini-thought-signature.js';
import { encodeGeminiUsage } from './encode-gemini-response.js';
import { googleErrorPayload } from './google-error-body.js';
import { mapFinishReasonToGemini } from './map-finish-reason-to-gemini.js';

/** Receives each encoded stream chunk (a `GenerateContentResponse`, or `{error}` on failure). */
export type GeminiChunkWriter = (chunk: Record<string, unknown>) => void;

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Turns IR stream events into `streamGenerateContent` chunks for a Gemini-format caller: one chunk
 * per text or thought delta (thought parts marked `thought: true`), a signature as an empty thought
 * part carrying `thoughtSignature`, and — since Gemini sends function calls whole — every tool call
 * as a `functionCall` part in the last chunk, together with `finishReason` and `usageMetadata`.
 * {@link fail} sends Google's error shape as a last chunk.
 *
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
export class GeminiStreamEncoder implements StreamEventSink {
  private readonly calls = new Map<number, PendingCall>();
  private readonly usage: Usage = emptyUsage();
  private finishReason: FinishReason = 'end-turn';
  private ended = false;

  /** @param identity the model name and response id to report in every chunk */
  constructor(
    private readonly write: GeminiChunkWriter,
    private readonly identity: { model: string; responseId: string },
  ) {}

  event(event: StreamEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'response-metadata':
      case 'redacted-reasoning':
        return;
      case 'text-delta':
        if (event.text !== '') this.writeParts([{ text: event.text }]);
        return;
      case 'reasoning-delta':
        if (event.text !== '') this.writeParts([{ text: event.text, thought: true }]);
        return;
      case 'reasoning-signature':
        this.writeParts([{ text: '', thought: true, thoughtSignature: thoughtSignatureFromReasoningSignature(event.signature) ?? event.signature }]);
        return;
      case 'tool-call-start':
        if (!this.calls.has(event.index)) this.calls.set(event.index, { id: event.id, name: event.name, arguments: '' });
        return;
      case 'tool-call-delta': {
        const call = this.calls.get(event.index);
        if (call !== undefined) call.arguments += event.argumentsDelta;
        return;
      }
      case 'usage':
        Object.assign(this.usage, Object.fromEntries(Object.entries(event.usage).filter(([, value]) => value !== undefined)));
        return;
      case 'finish':
        this.finishReason = event.reason;
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown stream event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Sends the last chunk: function calls, `finishReason` and `usageMetadata`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const parts: GeminiPart[] = [...this.calls.values()].map((call) => ({ functionCall: { id: call.id, name: call.name, args: parseArguments(call.arguments) } }));
    this.write({
      candidates: [{ content: { role: 'model', parts: parts.length > 0 ? parts : [{ text: '' }] }, finishReason: mapFinishReasonToGemini(this.finishReason), index: 0 }],
      usageMetadata: encodeGeminiUsage(this.usage),
      modelVersion: this.identity.model,
      responseId: this.identity.responseId,
    } satisfies GeminiGenerateContentResponse);
  }

  /** Ends the stream with Google's error shape (an upstream failure after the stream began). */
  fail(error: GatewayError): void {
    if (this.ended) return;
    this.ended = true;
    this.write(googleErrorPayload(error));
  }

  private writeParts(parts: GeminiPart[]): void {
    this.write({
      candidates: [{ content: { role: 'model', parts }, index: 0 }],
      modelVersion: this.identity.model,
      responseId: this.identity.responseId,
    } satisfies GeminiGenerateContentResponse);
  }
}

/** Tool-call argument JSON as an object; `{}` when empty or not an object. */
function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
