import type { IncomingHttpHeaders } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayRequest, ImagePart, TextPart, ToolDefinition, ToolResultPart } from '../core/gateway-request.js';
import type { JsonObject } from '../core/request-validation.js';
import type { AggregatedTool, McpCatalogIndex } from './mcp-catalog-index.js';
import type { McpIdentity } from './mcp-identity.js';
import { isToolAllowed } from './mcp-tool-access.js';

/**
 * MCP tools in inference requests: the caller's allowed aggregated tools added to the request's
 * tools (IR `GatewayRequest`, or an Anthropic body on the passthrough path), never twice under one
 * name and never for Claude Code, which has its own MCP client; and MCP tool results turned into
 * IR tool-result parts for agent mode.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#data-types
 */

/** Header asking for agent mode: the gateway runs the MCP tool calls the model makes. */
export const MCP_AGENT_HEADER = 'x-heimdall-mcp-agent';

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether the request comes from Claude Code (`user-agent: claude-cli/…`). */
export function isClaudeCode(headers: IncomingHttpHeaders): boolean {
  return (headerValue(headers, 'user-agent') ?? '').toLowerCase().startsWith('claude-cli');
}

/** Whether the caller asked for agent mode (`x-heimdall-mcp-agent: 1` / `true`). */
export function wantsMcpAgent(headers: IncomingHttpHeaders): boolean {
  const value = (headerValue(headers, MCP_AGENT_HEADER) ?? '').trim().toLowerCase();
  return value === '1' || value === 'true' || value === 'yes';
}

/** The aggregated tools `identity` may use, in catalog order. */
export function allowedMcpTools(index: McpCatalogIndex, identity: McpIdentity): AggregatedTool[] {
  return [...index.tools.values()].filter((entry) => isToolAllowed(identity, entry.upstream.settings, entry.tool.name));
}

function toolDefinition(entry: AggregatedTool): ToolDefinition {
  return {
    name: entry.name,
    ...(entry.tool.description === undefined ? {} : { description: entry.tool.description }),
    inputSchema: entry.tool.inputSchema as Record<string, unknown>,
  };
}

/**
 * Adds `tools` to an IR request, skipping names the request already has.
 * @returns the names added
 */
export function injectMcpTools(request: GatewayRequest, tools: readonly AggregatedTool[]): string[] {
  const present = new Set(request.tools.map((tool) => tool.name));
  const added: string[] = [];
  for (const entry of tools) {
    if (present.has(entry.name)) continue;
    present.add(entry.name);
    request.tools.push(toolDefinition(entry));
    added.push(entry.name);
  }
  return added;
}

/**
 * Adds `tools` to an Anthropic Messages body (`tools[]` of `{name, description, input_schema}`),
 * skipping names the body already has. Server tools (`type` other than `custom`) keep their place.
 * @returns the names added
 */
export function injectMcpToolsIntoAnthropicBody(root: JsonObject, tools: readonly AggregatedTool[]): string[] {
  const existing = Array.isArray(root.tools) ? root.tools : [];
  const present = new Set(
    existing.map((tool) => (typeof tool === 'object' && tool !== null && !Array.isArray(tool) && typeof tool.name === 'string' ? tool.name : '')),
  );
  const added: string[] = [];
  const additions: JsonObject[] = [];
  for (const entry of tools) {
    if (present.has(entry.name)) continue;
    present.add(entry.name);
    additions.push({
      name: entry.name,
      ...(entry.tool.description === undefined ? {} : { description: entry.tool.description }),
      input_schema: entry.tool.inputSchema as JsonObject,
    });
    added.push(entry.name);
  }
  if (additions.length > 0) root.tools = [...existing, ...additions];
  return added;
}

/** An MCP tool result as an IR tool-result part (text, images; other content described in text). */
export function mcpResultToToolResult(toolCallId: string, result: CallToolResult): ToolResultPart {
  const content: Array<TextPart | ImagePart> = [];
  for (const block of result.content ?? []) {
    switch (block.type) {
      case 'text':
        content.push({ type: 'text', text: block.text });
        break;
      case 'image':
        content.push({ type: 'image', source: { kind: 'base64', mediaType: block.mimeType, data: block.data } });
        break;
      case 'audio':
        content.push({ type: 'text', text: `[audio ${block.mimeType}, ${Math.floor((block.data.length * 3) / 4)} bytes, not shown]` });
        break;
      case 'resource':
        content.push({
          type: 'text',
          text: 'text' in block.resource ? `${block.resource.uri}:\n${block.resource.text}` : `[resource ${block.resource.uri} (${block.resource.mimeType ?? 'binary'}), not shown]`,
        });
        break;
      case 'resource_link':
        content.push({ type: 'text', text: `[resource link ${block.uri}${block.description === undefined ? '' : `: ${block.description}`}]` });
        break;
      default:
        content.push({ type: 'text', text: JSON.stringify(block) });
    }
  }
  if (content.length === 0 && result.structuredContent !== undefined) content.push({ type: 'text', text: JSON.stringify(result.structuredContent) });
  if (content.length === 0) content.push({ type: 'text', text: '' });
  return { type: 'tool-result', toolCallId, content, isError: result.isError === true };
}
