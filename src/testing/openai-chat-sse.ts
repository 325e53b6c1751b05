import type { ServerResponse } from 'node:http';
import { splitIntoPieces } from './text-pieces.js';

/**
 * Helpers for mock upstreams that speak OpenAI Chat Completions streaming: building
 * `chat.completion.chunk` sequences (text, tool calls in small argument pieces, parallel tool calls
 * with interleaved argument deltas, a final usage chunk) and writing them as SSE
 * (`data: <json>\n\n` … `data: [DONE]\n\n`).
 *
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */

/** A tool-call fragment inside a chunk's `delta.tool_calls`. */
export interface OpenAiToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** The `delta` of one chunk choice. */
export interface OpenAiChatDelta {
  role?: 'assistant';
  content?: string | null;
  tool_calls?: OpenAiToolCallDelta[];
}

/** OpenAI `usage` as found in the last chunk (with `stream_options.include_usage`) or a completion. */
export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One `chat.completion.chunk` object. */
export interface OpenAiChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: number; delta: OpenAiChatDelta; finish_reason: string | null }>;
  usage?: OpenAiUsage | null;
}

/** A complete tool call to stream: its arguments are sent in pieces. */
export interface OpenAiToolCallSpec {
  id: string;
  name: string;
  /** The arguments, as the JSON text the model produces. */
  arguments: string;
}

/** Identity fields shared by every chunk of one stream. */
export interface OpenAiStreamIdentity {
  id?: string;
  model: string;
  created?: number;
}

/** Builds `usage` with a consistent total. */
export function openAiUsage(promptTokens: number, completionTokens: number): OpenAiUsage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** One chunk with a single choice carrying `delta` (and `finish_reason`, null while streaming). */
export function openAiChatChunk(identity: OpenAiStreamIdentity, delta: OpenAiChatDelta, finishReason: string | null = null): OpenAiChatChunk {
  return {
    id: identity.id ?? 'chatcmpl-mock0001',
    object: 'chat.completion.chunk',
    created: identity.created ?? 1_770_000_000,
    model: identity.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    usage: null,
  };
}

/** The trailing usage-only chunk (`choices: []`), as sent with `stream_options.include_usage`. */
export function openAiUsageChunk(identity: OpenAiStreamIdentity, usage: OpenAiUsage): OpenAiChatChunk {
  return {
    id: identity.id ?? 'chatcmpl-mock0001',
    object: 'chat.completion.chunk',
    created: identity.created ?? 1_770_000_000,
    model: identity.model,
    choices: [],
    usage,
  };
}

/**
 * The chunks of a whole streamed answer: a role chunk, `text` (if any) in pieces of
 * `textPieceLength`, then each tool call — its first chunk carrying `id`, `type` and the function
 * name with empty arguments, then its arguments in pieces of `argumentPieceLength`. With
 * `interleave`, the argument pieces of all calls alternate by index (0,1,0,1,…) after every call
 * was announced, as parallel-calling providers do. Ends with a `finish_reason` chunk
 * (`tool_calls` when there are calls, otherwise `stop`) and, when `usage` is given, a usage chunk.
 */
export function openAiChatStreamChunks(
  options: OpenAiStreamIdentity & {
    text?: string;
    textPieceLength?: number;
    toolCalls?: OpenAiToolCallSpec[];
    argumentPieceLength?: number;
    interleave?: boolean;
    usage?: OpenAiUsage;
    finishReason?: string;
  },
): OpenAiChatChunk[] {
  const chunks: OpenAiChatChunk[] = [openAiChatChunk(options, { role: 'assistant', content: '' })];
  for (const piece of splitIntoPieces(options.text ?? '', options.textPieceLength ?? 12)) chunks.push(openAiChatChunk(options, { content: piece }));
  const calls = options.toolCalls ?? [];
  const announce = (call: OpenAiToolCallSpec, index: number): OpenAiChatChunk =>
    openAiChatChunk(options, { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
  const argumentChunk = (index: number, piece: string): OpenAiChatChunk =>
    openAiChatChunk(options, { tool_calls: [{ index, function: { arguments: piece } }] });
  const pieces = calls.map((call) => splitIntoPieces(call.arguments, options.argumentPieceLength ?? 6));
  if (options.interleave === true) {
    calls.forEach((call, index) => chunks.push(announce(call, index)));
    const longest = Math.max(0, ...pieces.map((list) => list.length));
    for (let position = 0; position < longest; position += 1) {
      pieces.forEach((list, index) => {
        const piece = list[position];
        if (piece !== undefined) chunks.push(argumentChunk(index, piece));
      });
    }
  } else {
    calls.forEach((call, index) => {
      chunks.push(announce(call, index));
      for (const piece of pieces[index]) chunks.push(argumentChunk(index, piece));
    });
  }
  chunks.push(openAiChatChunk(options, {}, options.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop')));
  if (options.usage !== undefined) chunks.push(openAiUsageChunk(options, options.usage));
  return chunks;
}

/**
 * A non-streaming `chat.completion` answering with `text` and/or `toolCalls`
 * (`finish_reason` `tool_calls` when there are calls, otherwise `stop`).
 */
export function openAiChatCompletion(
  options: OpenAiStreamIdentity & { text?: string | null; toolCalls?: OpenAiToolCallSpec[]; usage?: OpenAiUsage; finishReason?: string },
): Record<string, unknown> {
  const calls = options.toolCalls ?? [];
  return {
    id: options.id ?? 'chatcmpl-mock0001',
    object: 'chat.completion',
    created: options.created ?? 1_770_000_000,
    model: options.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: options.text ?? null,
          ...(calls.length > 0
            ? { tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
            : {}),
        },
        finish_reason: options.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop'),
      },
    ],
    usage: options.usage ?? openAiUsage(10, 5),
  };
}

/** The SSE text of one Chat Completions chunk (`data: <json>\n\n`; no `event:` line). */
export function openAiSseFrame(chunk: OpenAiChatChunk | Record<string, unknown>): string {
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * Writes a 200 `text/event-stream` response carrying `chunks`, then `data: [DONE]` (unless
 * `done: false`), and ends it. `pauseMs` waits between chunks so they arrive as separate reads.
 */
export async function writeOpenAiChatSse(
  response: ServerResponse,
  chunks: Array<OpenAiChatChunk | Record<string, unknown>>,
  options: { pauseMs?: number; done?: boolean; headers?: Record<string, string> } = {},
): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', ...options.headers });
  for (const chunk of chunks) {
    response.write(openAiSseFrame(chunk));
    if (options.pauseMs !== undefined && options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  if (options.done !== false) response.write('data: [DONE]\n\n');
  response.end();
}

/** Writes an OpenAI-format JSON error response (`{"error":{message,type,code}}`). */
export function writeOpenAiError(
  response: ServerResponse,
  status: number,
  message: string,
  options: { type?: string; code?: string | null; headers?: Record<string, string> } = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...options.headers });
  response.end(JSON.stringify({ error: { message, type: options.type ?? 'invalid_request_error', param: null, code: options.code ?? null } }));
}
