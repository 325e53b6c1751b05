/**
 * The wire shapes of Bedrock's Converse and ConverseStream APIs (JSON; blobs are base64 strings).
 * Only the fields Heimdall reads or writes are typed.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ContentBlock.html
 */

export type ConverseImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type ConverseDocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';

/** A blob is base64 bytes, or (not produced by Heimdall) an S3 location. */
export interface ConverseSource {
  bytes?: string;
  s3Location?: { uri: string; bucketOwner?: string };
  text?: string;
}

export interface ConverseImageBlock {
  format: ConverseImageFormat;
  source: ConverseSource;
}

export interface ConverseDocumentBlock {
  format?: ConverseDocumentFormat;
  name: string;
  source: ConverseSource;
}

export interface ConverseCachePoint {
  type: 'default';
}

export type ConverseToolResultContent =
  | { text: string }
  | { json: unknown }
  | { image: ConverseImageBlock }
  | { document: ConverseDocumentBlock };

export interface ConverseToolUse {
  toolUseId: string;
  name: string;
  input: unknown;
}

export interface ConverseToolResult {
  toolUseId: string;
  content: ConverseToolResultContent[];
  status?: 'success' | 'error';
}

export interface ConverseReasoningContent {
  reasoningText?: { text: string; signature?: string };
  /** Base64 bytes of encrypted reasoning. */
  redactedContent?: string;
}

/** One content block; exactly one member is set. */
export interface ConverseContentBlock {
  text?: string;
  image?: ConverseImageBlock;
  document?: ConverseDocumentBlock;
  toolUse?: ConverseToolUse;
  toolResult?: ConverseToolResult;
  reasoningContent?: ConverseReasoningContent;
  cachePoint?: ConverseCachePoint;
  [other: string]: unknown;
}

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ConverseContentBlock[];
}

export type ConverseSystemBlock = { text: string } | { cachePoint: ConverseCachePoint };

export interface ConverseToolSpec {
  name: string;
  description?: string;
  inputSchema: { json: Record<string, unknown> };
}

export type ConverseTool = { toolSpec: ConverseToolSpec } | { cachePoint: ConverseCachePoint };

export type ConverseToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ConverseInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

/** The Converse request body (the model id is in the URL). */
export interface ConverseRequestBody {
  messages: ConverseMessage[];
  system?: ConverseSystemBlock[];
  inferenceConfig?: ConverseInferenceConfig;
  toolConfig?: { tools: ConverseTool[]; toolChoice?: ConverseToolChoice };
  additionalModelRequestFields?: Record<string, unknown>;
  additionalModelResponseFieldPaths?: string[];
  requestMetadata?: Record<string, string>;
}

/** Converse `stopReason` values. */
export type ConverseStopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'malformed_model_output'
  | 'malformed_tool_use'
  | 'model_context_window_exceeded';

export interface ConverseUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** The Converse response body. */
export interface ConverseResponseBody {
  output: { message: ConverseMessage };
  stopReason: string;
  usage: ConverseUsage;
  metrics?: { latencyMs: number };
  additionalModelResponseFields?: Record<string, unknown>;
}

/** ConverseStream events, by `:event-type` (each payload is the inner object). */
export interface ConverseStreamEvents {
  messageStart: { role: 'assistant' };
  contentBlockStart: { contentBlockIndex: number; start: { toolUse?: { toolUseId: string; name: string } } };
  contentBlockDelta: {
    contentBlockIndex: number;
    delta: {
      text?: string;
      toolUse?: { input: string };
      reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
    };
  };
  contentBlockStop: { contentBlockIndex: number };
  messageStop: { stopReason: string; additionalModelResponseFields?: Record<string, unknown> };
  metadata: { usage: ConverseUsage; metrics?: { latencyMs: number } };
}

export type ConverseStreamEventType = keyof ConverseStreamEvents;
