/**
 * The request side of the OpenAI Chat Completions wire format, as Heimdall sends it. Only the fields
 * Heimdall writes are typed; responses are read from `unknown` and narrowed where they are parsed
 * (`convert-openai-chat-response.ts`, `openai-chat-stream.ts`), since every compatible provider
 * answers with its own variations.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */

/** `{type:'text'}` content part. `cache_control` is OpenRouter's pass-through to Anthropic models. */
export interface OpenAIChatTextPart {
  type: 'text';
  text: string;
  cache_control?: { type: 'ephemeral'; ttl?: string };
}

/** `{type:'image_url'}` content part; `url` is an `https:` URL or a `data:<media type>;base64,…` URL. */
export interface OpenAIChatImagePart {
  type: 'image_url';
  image_url: { url: string };
}

/** `{type:'file'}` content part carrying an inline file (PDF) as a `data:` URL. */
export interface OpenAIChatFilePart {
  type: 'file';
  file: { filename: string; file_data: string };
}

export type OpenAIChatContentPart = OpenAIChatTextPart | OpenAIChatImagePart | OpenAIChatFilePart;

/** A function call made by the assistant; `arguments` is a JSON object serialized as a string. */
export interface OpenAIChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIChatSystemMessage {
  role: 'system' | 'developer';
  content: string | OpenAIChatTextPart[];
}

export interface OpenAIChatUserMessage {
  role: 'user';
  content: string | OpenAIChatContentPart[];
}

export interface OpenAIChatAssistantMessage {
  role: 'assistant';
  /** Null when the message only carries tool calls. */
  content: string | null;
  tool_calls?: OpenAIChatToolCall[];
  /** Prior reasoning sent back (DeepSeek thinking mode requires it next to tool calls). */
  reasoning_content?: string;
}

export interface OpenAIChatToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

export type OpenAIChatMessage =
  | OpenAIChatSystemMessage
  | OpenAIChatUserMessage
  | OpenAIChatAssistantMessage
  | OpenAIChatToolMessage;

export interface OpenAIChatFunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export type OpenAIChatToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | 'any'
  | { type: 'function'; function: { name: string } };

/** A Chat Completions request body. Extra provider fields (`extraBody` quirk) are merged in too. */
export interface OpenAIChatRequestBody {
  model: string;
  messages: OpenAIChatMessage[];
  tools?: OpenAIChatFunctionTool[];
  tool_choice?: OpenAIChatToolChoice;
  parallel_tool_calls?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop?: string[];
  /** Reasoning effort level, in the provider's own vocabulary (`low`, `high`, `none`, …). */
  reasoning_effort?: string;
  /** OpenRouter's unified reasoning object. */
  reasoning?: { effort?: string; max_tokens?: number; enabled?: boolean };
  /** DeepSeek's thinking-mode toggle. */
  thinking?: { type: 'enabled' | 'disabled' };
  /** Structured output: a JSON schema, or just "some JSON object". */
  response_format?:
    | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown> } }
    | { type: 'json_object' };
  user?: string;
  stream: boolean;
  stream_options?: { include_usage: boolean };
  [extraField: string]: unknown;
}
