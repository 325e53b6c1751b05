/**
 * Heimdall's internal representation (IR) of a model request: the hub of the hub-and-spoke
 * translation. Every inbound API format parses into a {@link GatewayRequest}; every provider that
 * needs translation encodes from it. Same-format traffic (Anthropic in, Anthropic out) bypasses
 * the IR entirely (see `providers/anthropic`).
 *
 * Token counts are in tokens; everything else is plain data with no provider-specific shapes.
 */

/** Prompt-cache marker carried through from Anthropic `cache_control`. */
export interface CacheControl {
  type: 'ephemeral';
  /** Anthropic TTL such as `5m` or `1h`. */
  ttl?: string;
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
}

/** An image given inline (base64) or by URL. */
export interface ImagePart {
  type: 'image';
  source: MediaSource;
  cacheControl?: CacheControl;
}

/** A document (PDF or plain text) given inline or by URL. */
export interface DocumentPart {
  type: 'document';
  source: MediaSource | { kind: 'text'; mediaType: string; text: string };
  title?: string;
  cacheControl?: CacheControl;
}

export type MediaSource =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'url'; url: string };

/** A tool call the model made. `input` is the parsed JSON object of arguments. */
export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  input: unknown;
  cacheControl?: CacheControl;
}

/** The result of a tool call, sent back by the client in a user turn. */
export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  content: Array<TextPart | ImagePart | DocumentPart>;
  isError: boolean;
  cacheControl?: CacheControl;
}

/**
 * Model reasoning ("thinking"). `signature` is provider-specific (Anthropic's thinking signature);
 * it is only meaningful to the provider and model that produced it.
 */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
}

/** Encrypted reasoning the provider returned without text (Anthropic `redacted_thinking`). */
export interface RedactedReasoningPart {
  type: 'redacted-reasoning';
  data: string;
}

export type UserPart = TextPart | ImagePart | DocumentPart | ToolResultPart;
export type AssistantPart = TextPart | ToolCallPart | ReasoningPart | RedactedReasoningPart;

export type GatewayMessage =
  | { role: 'system'; content: TextPart[] }
  | { role: 'user'; content: UserPart[] }
  | { role: 'assistant'; content: AssistantPart[] };

/** A function tool the model may call. `inputSchema` is a JSON Schema object. */
export interface ToolDefinition {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  cacheControl?: CacheControl;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'required' }
  | { type: 'none' }
  | { type: 'tool'; name: string };

/**
 * Reasoning request. `enabled` carries a token budget (Anthropic `thinking.budget_tokens`);
 * `adaptive` lets the model decide; `disabled` asks for none.
 */
export type ReasoningConfig =
  | { mode: 'enabled'; budgetTokens: number }
  | { mode: 'adaptive' }
  | { mode: 'disabled' };

/** Anthropic `output_config.effort` levels, the common scale for reasoning effort. */
export type ReasoningEffort = 'low' | 'medium' | 'high' | 'max';

export interface GatewayRequest {
  /** The model name as the upstream provider knows it (no `provider/` prefix). */
  model: string;
  /** Top-level system prompt blocks. Mid-conversation system messages stay in `messages`. */
  system: TextPart[];
  messages: GatewayMessage[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** False when the caller asked for at most one tool call per turn. */
  parallelToolCalls?: boolean;
  /** Maximum output tokens. */
  maxOutputTokens: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  reasoning?: ReasoningConfig;
  effort?: ReasoningEffort;
  /** Structured output: the response text must be JSON matching this schema. */
  responseFormat?: { type: 'json-schema'; schema: Record<string, unknown>; name?: string };
  /** End-user identifier (Anthropic `metadata.user_id`). */
  user?: string;
  stream: boolean;
}
