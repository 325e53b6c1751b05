import type { AssistantPart } from './gateway-request.js';

/**
 * Why the model stopped, in the IR's own terms. Each provider maps its own value into this
 * (e.g. `map-openai-finish-reason.ts`) and each inbound format maps it out (`stop_reason`).
 */
export type FinishReason =
  | 'end-turn'
  | 'max-tokens'
  | 'stop-sequence'
  | 'tool-use'
  | 'content-filter'
  | 'refusal'
  | 'pause-turn'
  | 'other';

/**
 * Token usage, in tokens, with Anthropic's semantics: `inputTokens` excludes tokens read from or
 * written to the prompt cache, which are counted separately.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Output tokens spent on reasoning, where the provider reports them (already in outputTokens). */
  reasoningTokens?: number;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** A complete (non-streaming) model response in the IR. */
export interface GatewayResponse {
  /** Upstream response id, when the provider gave one. */
  id?: string;
  /** The model that served the request, as the provider reported it. */
  model: string;
  content: AssistantPart[];
  finishReason: FinishReason;
  /** The stop sequence that ended generation, when `finishReason` is `stop-sequence`. */
  stopSequence?: string;
  usage: Usage;
}
