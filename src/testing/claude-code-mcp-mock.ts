import type { ServerResponse } from 'node:http';
import { anthropicTextEvents, anthropicTextMessage, anthropicToolUseEvents, writeAnthropicSse } from './anthropic-sse.js';
import type { MockHandler, RecordedRequest } from './mock-upstream.js';

/**
 * A scripted Anthropic Messages model for driving the real Claude Code through one MCP tool call:
 * while the request offers `toolName` (an MCP tool Claude Code got from Heimdall's `/mcp`, e.g.
 * `mcp__heimdall__everything__echo`) and carries no tool result, it asks for that tool with
 * `input`; once the tool result comes back it answers `finalText`; every other request (title
 * generation and other side requests) gets a short text (`{"title": …}` when JSON output is asked).
 */
export interface ScriptedMcpToolModel {
  toolName: string;
  input: Record<string, unknown>;
  finalText: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The tool names an Anthropic request offers. */
export function anthropicToolNames(request: RecordedRequest): string[] {
  const json = request.json;
  if (!isRecord(json) || !Array.isArray(json.tools)) return [];
  return json.tools.filter(isRecord).map((tool) => (typeof tool.name === 'string' ? tool.name : ''));
}

/** The `tool_result` blocks of the last user turn of an Anthropic request. */
export function lastToolResults(request: RecordedRequest): Record<string, unknown>[] {
  const json = request.json;
  if (!isRecord(json) || !Array.isArray(json.messages)) return [];
  const last = json.messages.filter(isRecord).at(-1);
  if (last === undefined || last.role !== 'user' || !Array.isArray(last.content)) return [];
  return last.content.filter((block): block is Record<string, unknown> => isRecord(block) && block.type === 'tool_result');
}

/** The text of a `tool_result` block (string content or text blocks). */
export function toolResultText(block: Record<string, unknown>): string {
  if (typeof block.content === 'string') return block.content;
  if (!Array.isArray(block.content)) return '';
  return block.content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
}

/** The mock-upstream handler playing `script`. */
export function scriptedMcpToolHandler(script: ScriptedMcpToolModel): MockHandler {
  return async (request, response) => {
    const path = new URL(request.url, 'http://mock.local').pathname;
    if (request.method === 'HEAD' || request.method === 'GET') return sendJson(response, 200, {});
    if (path === '/v1/messages/count_tokens') return sendJson(response, 200, { input_tokens: 42 });
    if (path !== '/v1/messages') return sendJson(response, 404, { error: { message: `no route for ${path}` } });
    const json = isRecord(request.json) ? request.json : {};
    const model = typeof json.model === 'string' ? json.model : 'mock-model';
    const stream = json.stream === true;
    let text: string;
    if (lastToolResults(request).length > 0) text = script.finalText;
    else if (anthropicToolNames(request).includes(script.toolName)) {
      if (stream) return writeAnthropicSse(response, anthropicToolUseEvents({ model, toolName: script.toolName, input: script.input }));
      return sendJson(response, 200, {
        ...anthropicTextMessage({ model, text: '' }),
        content: [{ type: 'tool_use', id: 'toolu_mcp_0001', name: script.toolName, input: script.input }],
        stop_reason: 'tool_use',
      });
    } else {
      const format = isRecord(json.output_config) ? json.output_config.format : undefined;
      text = isRecord(format) && format.type === 'json_schema' ? JSON.stringify({ title: 'MCP test' }) : 'MCP test';
    }
    if (stream) return writeAnthropicSse(response, anthropicTextEvents({ model, text }));
    return sendJson(response, 200, anthropicTextMessage({ model, text }));
  };
}
