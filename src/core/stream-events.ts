import type { FinishReason, Usage } from './gateway-response.js';

/**
 * Streaming events in the IR. A provider's stream translator turns upstream chunks into these;
 * an inbound encoder (e.g. `inbound/anthropic/anthropic-stream-encoder.ts`) turns them into the
 * caller's wire format. Tool calls are keyed by `index`, the upstream's own identifier for the
 * call within the response, so that interleaved argument deltas of parallel calls stay apart.
 */
export type StreamEvent =
  | { type: 'response-metadata'; id?: string; model?: string }
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'reasoning-signature'; signature: string }
  | { type: 'redacted-reasoning'; data: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; index: number; argumentsDelta: string }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'finish'; reason: FinishReason; stopSequence?: string };

/** Receives IR stream events in order. */
export interface StreamEventSink {
  event(event: StreamEvent): void;
}
