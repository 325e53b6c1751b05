import type { ServerResponse } from 'node:http';
import {
  anthropicTextEvents,
  anthropicTextMessage,
  anthropicToolUseEvents,
  writeAnthropicSse,
  type AnthropicMessageJson,
} from './anthropic-sse.js';
import type { MockHandler, RecordedRequest } from './mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from './openai-chat-sse.js';

/**
 * A scripted model for driving the real Claude Code through one tool-using turn: it asks for a
 * `Write` of one file, then, once the tool result comes back, finishes with a text. It answers
 * every request Claude Code may make, in the upstream format being mocked:
 *
 * - the last turn carries a tool result → `finalText`;
 * - the request offers a `Write` tool → a streamed `Write` call (`file_path`, `content`), its
 *   argument JSON split into pieces of `argumentPieceLength` characters;
 * - anything else (title generation, other side requests) → `sideText` (as `{"title": sideText}`
 *   when the request asks for JSON-schema output);
 * - Anthropic `count_tokens` → a small count; `HEAD`/`GET` → 200; other paths → 404.
 */
export interface ScriptedClaudeCodeModel {
  /** `anthropic`: Anthropic Messages at `/v1/messages`; `openai`: Chat Completions at `/v1/chat/completions`. */
  format: 'anthropic' | 'openai';
  /** Absolute path the `Write` call targets. */
  filePath: string;
  fileContent: string;
  finalText: string;
  sideText?: string;
  argumentPieceLength?: number;
}

/** What kind of request this is, as far as the script is concerned. */
export type ScriptedTurn = 'after-tool-result' | 'write-tool-call' | 'side-request';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messagesOf(request: RecordedRequest): Record<string, unknown>[] {
  const json = request.json;
  if (!isRecord(json) || !Array.isArray(json.messages)) return [];
  return json.messages.filter(isRecord);
}

function toolNamesOf(request: RecordedRequest): string[] {
  const json = request.json;
  if (!isRecord(json) || !Array.isArray(json.tools)) return [];
  return json.tools.filter(isRecord).map((tool) => {
    if (typeof tool.name === 'string') return tool.name;
    return isRecord(tool.function) && typeof tool.function.name === 'string' ? tool.function.name : '';
  });
}

/** Whether the last user turn of an Anthropic request carries a `tool_result` block. */
export function anthropicRequestEndsWithToolResult(request: RecordedRequest): boolean {
  const messages = messagesOf(request);
  const last = messages[messages.length - 1];
  return last !== undefined && last.role === 'user' && Array.isArray(last.content) && last.content.some((block) => isRecord(block) && block.type === 'tool_result');
}

/** Whether an OpenAI Chat request has a `role: "tool"` message after its last assistant message. */
export function openAiRequestEndsWithToolResult(request: RecordedRequest): boolean {
  const messages = messagesOf(request);
  for (let position = messages.length - 1; position >= 0; position -= 1) {
    if (messages[position].role === 'tool') return true;
    if (messages[position].role === 'assistant') return false;
  }
  return false;
}

/** Classifies a model request the way the script answers it. */
export function scriptedTurnOf(request: RecordedRequest, format: ScriptedClaudeCodeModel['format']): ScriptedTurn {
  const afterResult = format === 'anthropic' ? anthropicRequestEndsWithToolResult(request) : openAiRequestEndsWithToolResult(request);
  if (afterResult) return 'after-tool-result';
  if (toolNamesOf(request).includes('Write')) return 'write-tool-call';
  return 'side-request';
}

function requestedModel(request: RecordedRequest): string {
  return isRecord(request.json) && typeof request.json.model === 'string' ? request.json.model : 'unknown-model';
}

function wantsStream(request: RecordedRequest): boolean {
  return isRecord(request.json) && request.json.stream === true;
}

/**
 * The text for a side request: `sideText`, or — when the request asks for JSON output through a
 * JSON schema (Claude Code's title generation uses Anthropic `output_config.format`; through the
 * translation path it becomes OpenAI `response_format`) — `{"title": sideText}`.
 */
function sideAnswerText(script: ScriptedClaudeCodeModel, request: RecordedRequest): string {
  const text = script.sideText ?? 'Heimdall test';
  const json = request.json;
  if (!isRecord(json)) return text;
  const anthropicFormat = isRecord(json.output_config) ? json.output_config.format : undefined;
  const openAiFormat = json.response_format;
  const wantsJsonSchema = [anthropicFormat, openAiFormat].some((format) => isRecord(format) && format.type === 'json_schema');
  return wantsJsonSchema ? JSON.stringify({ title: text }) : text;
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
}

async function answerAnthropic(script: ScriptedClaudeCodeModel, request: RecordedRequest, response: ServerResponse): Promise<void> {
  const model = requestedModel(request);
  const turn = scriptedTurnOf(request, 'anthropic');
  const input = { file_path: script.filePath, content: script.fileContent };
  if (turn === 'write-tool-call') {
    if (wantsStream(request)) {
      await writeAnthropicSse(response, anthropicToolUseEvents({ model, toolName: 'Write', input, pieceLength: script.argumentPieceLength ?? 7 }));
      return;
    }
    const message: AnthropicMessageJson = {
      ...anthropicTextMessage({ model, text: '' }),
      content: [{ type: 'tool_use', id: 'toolu_mock_0001', name: 'Write', input }],
      stop_reason: 'tool_use',
    };
    sendJson(response, 200, message);
    return;
  }
  const text = turn === 'after-tool-result' ? script.finalText : sideAnswerText(script, request);
  if (wantsStream(request)) await writeAnthropicSse(response, anthropicTextEvents({ model, text }));
  else sendJson(response, 200, anthropicTextMessage({ model, text }));
}

async function answerOpenAi(script: ScriptedClaudeCodeModel, request: RecordedRequest, response: ServerResponse): Promise<void> {
  const model = requestedModel(request);
  const turn = scriptedTurnOf(request, 'openai');
  const usage = openAiUsage(120, 30);
  if (turn === 'write-tool-call') {
    const toolCalls = [{ id: 'call_mock_write_1', name: 'Write', arguments: JSON.stringify({ file_path: script.filePath, content: script.fileContent }) }];
    if (wantsStream(request)) {
      await writeOpenAiChatSse(response, openAiChatStreamChunks({ model, toolCalls, argumentPieceLength: script.argumentPieceLength ?? 7, usage }));
    } else {
      sendJson(response, 200, openAiChatCompletion({ model, toolCalls, usage }));
    }
    return;
  }
  const text = turn === 'after-tool-result' ? script.finalText : sideAnswerText(script, request);
  if (wantsStream(request)) await writeOpenAiChatSse(response, openAiChatStreamChunks({ model, text, usage }));
  else sendJson(response, 200, openAiChatCompletion({ model, text, usage }));
}

/** The mock-upstream handler playing `script`. */
export function scriptedClaudeCodeHandler(script: ScriptedClaudeCodeModel): MockHandler {
  return async (request, response) => {
    const path = new URL(request.url, 'http://mock.local').pathname;
    if (request.method === 'HEAD' || request.method === 'GET') {
      sendJson(response, 200, {});
      return;
    }
    if (script.format === 'anthropic' && path === '/v1/messages/count_tokens') {
      sendJson(response, 200, { input_tokens: 42 });
      return;
    }
    if (script.format === 'anthropic' && path === '/v1/messages') {
      await answerAnthropic(script, request, response);
      return;
    }
    if (script.format === 'openai' && path === '/v1/chat/completions') {
      await answerOpenAi(script, request, response);
      return;
    }
    sendJson(response, 404, { error: { message: `mock upstream has no route for ${request.method} ${path}` } });
  };
}
