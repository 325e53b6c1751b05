import type { GatewayResponse } from '../core/gateway-response.js';
import type { StreamEventSink } from '../core/stream-events.js';
import type { ProviderStream } from '../providers/provider.js';

/**
 * A complete IR response replayed as an IR stream (`ProviderStream`), so a caller that asked for a
 * stream gets one when the gateway produced the answer without streaming (agent mode runs its
 * model calls non-streaming). Each content part becomes one block: text and reasoning as one delta,
 * tool calls as a start and their whole argument JSON.
 */
export function replayResponseAsStream(response: GatewayResponse): ProviderStream {
  return {
    pipeTo(sink: StreamEventSink): Promise<void> {
      sink.event({ type: 'response-metadata', ...(response.id === undefined ? {} : { id: response.id }), model: response.model });
      let toolIndex = 0;
      for (const part of response.content) {
        if (part.type === 'text') sink.event({ type: 'text-delta', text: part.text });
        else if (part.type === 'reasoning') {
          sink.event({ type: 'reasoning-delta', text: part.text });
          if (part.signature !== undefined) sink.event({ type: 'reasoning-signature', signature: part.signature });
        } else if (part.type === 'redacted-reasoning') sink.event({ type: 'redacted-reasoning', data: part.data });
        else {
          sink.event({ type: 'tool-call-start', index: toolIndex, id: part.id, name: part.name });
          sink.event({ type: 'tool-call-delta', index: toolIndex, argumentsDelta: JSON.stringify(part.input ?? {}) });
          toolIndex += 1;
        }
      }
      sink.event({ type: 'usage', usage: response.usage });
      sink.event({ type: 'finish', reason: response.finishReason, ...(response.stopSequence === undefined ? {} : { stopSequence: response.stopSequence }) });
      return Promise.resolve();
    },
  };
}
