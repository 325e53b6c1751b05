/**
 * The parts of Google's `generateContent` wire format Heimdall reads and writes. The Gemini API
 * (generativelanguage.googleapis.com) and Vertex AI (`publishers/google/models/…`) share it.
 * Field names are the REST (camelCase) JSON names.
 *
 * @see https://ai.google.dev/api/generate-content
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.endpoints/generateContent
 */

/** `Blob`: inline bytes, base64 in JSON. */
export interface GeminiBlob {
  mimeType: string;
  /** Base64-encoded bytes. */
  data: string;
}

/** `FileData`: a file referenced by URI (Files API URI, `gs://` on Vertex, some HTTPS URLs). */
export interface GeminiFileData {
  mimeType?: string;
  fileUri: string;
}

/** `FunctionCall`: a call the model made. Gemini sends no id unless the API assigned one. */
export interface GeminiFunctionCall {
  id?: string;
  name?: string;
  /** The arguments as a JSON object. */
  args?: Record<string, unknown>;
  /** Vertex streamed arguments (`streamFunctionCallArguments`): pieces of the arguments by JSON path. */
  partialArgs?: GeminiPartialArg[];
  /** Vertex streamed arguments: more parts of this call follow. */
  willContinue?: boolean;
}

/**
 * `PartialArg`: one piece of a streamed function-call argument. String values for the same
 * `jsonPath` arrive in consecutive pieces that are concatenated.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#PartialArg
 */
export interface GeminiPartialArg {
  /** RFC 9535 JSON path of the argument, e.g. `$.recipe.steps[0]`. */
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: 'NULL_VALUE' | null;
  willContinue?: boolean;
}

/** `FunctionResponse`: a tool result sent back to the model. `response` must be a JSON object. */
export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
}

/**
 * `Part`: one piece of content. Exactly one data field is set; `thought` marks reasoning text;
 * `thoughtSignature` is an opaque signature that must be sent back on the same part next turn.
 */
export interface GeminiPart {
  text?: string;
  inlineData?: GeminiBlob;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  thought?: boolean;
  thoughtSignature?: string;
  [field: string]: unknown;
}

/** `Content`: one turn. `role` is `user` or `model`. */
export interface GeminiContent {
  role?: 'user' | 'model' | string;
  parts: GeminiPart[];
}

/** `Schema`: Gemini's OpenAPI-3.0 subset for function parameters and response schemas. */
export type GeminiSchema = Record<string, unknown>;

/** `FunctionDeclaration`. `parameters` is absent for tools without arguments. */
export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: GeminiSchema;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
  [field: string]: unknown;
}

/** `FunctionCallingConfig.mode`. */
export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED';

export interface GeminiToolConfig {
  functionCallingConfig: {
    mode: GeminiFunctionCallingMode;
    allowedFunctionNames?: string[];
  };
}

/** `ThinkingConfig`: a token budget (Gemini 2.5) or a level (Gemini 3), never both. */
export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  /** Tokens; `-1` lets the model decide, `0` turns thinking off where allowed. */
  thinkingBudget?: number;
  thinkingLevel?: GeminiThinkingLevel;
}

export type GeminiThinkingLevel = 'minimal' | 'low' | 'medium' | 'high';

export interface GeminiGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  candidateCount?: number;
  responseMimeType?: string;
  responseSchema?: GeminiSchema;
  thinkingConfig?: GeminiThinkingConfig;
  [field: string]: unknown;
}

/** The `generateContent` / `streamGenerateContent` request body. */
export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
  [field: string]: unknown;
}

/** `UsageMetadata`, in tokens. `promptTokenCount` includes `cachedContentTokenCount`. */
export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
  [field: string]: unknown;
}

/** `Candidate.finishReason` values. @see https://ai.google.dev/api/generate-content#FinishReason */
export type GeminiFinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'IMAGE_PROHIBITED_CONTENT'
  | 'IMAGE_OTHER'
  | 'NO_IMAGE'
  | 'IMAGE_RECITATION'
  | 'UNEXPECTED_TOOL_CALL'
  | 'TOO_MANY_TOOL_CALLS'
  | 'MISSING_THOUGHT_SIGNATURE';

export interface GeminiCandidate {
  content?: GeminiContent;
  finishReason?: GeminiFinishReason | string;
  index?: number;
  finishMessage?: string;
  [field: string]: unknown;
}

/** The `generateContent` response body, and each chunk of `streamGenerateContent`. */
export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; [field: string]: unknown };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  [field: string]: unknown;
}
