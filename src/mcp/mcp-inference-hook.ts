import type { IncomingMessage } from 'node:http';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayRequest, ToolCallPart, ToolResultPart } from '../core/gateway-request.js';
import type { GatewayResponse } from '../core/gateway-response.js';
import type { JsonObject } from '../core/request-validation.js';
import type { ProviderStream } from '../providers/provider.js';
import { callMcpTool } from './call-mcp-tool.js';
import { allowedMcpTools, injectMcpTools, injectMcpToolsIntoAnthropicBody, isClaudeCode, mcpResultToToolResult, wantsMcpAgent } from './inject-mcp-tools.js';
import { mcpGatewayOf, type McpGateway } from './mcp-gateway.js';
import type { McpIdentity } from './mcp-identity.js';
import { runMcpAgentLoop } from './run-mcp-agent-loop.js';
import { streamMcpAgentLoop } from './stream-mcp-agent-loop.js';

/**
 * The MCP gateway's hook into the inference path (`serveAnthropicMessages`): injects the caller's
 * allowed MCP tools into the request when `mcp.inject_tools` is on or the caller asks for agent
 * mode (`x-heimdall-mcp-agent: 1`) — never for Claude Code (`user-agent: claude-cli/…`), which has
 * its own MCP client — and, in agent mode, runs the tool calls the model makes on those tools.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools
 */
export interface McpInferenceHook {
  /** Agent mode: the gateway runs the model's calls of injected tools (IR path). */
  readonly agentMode: boolean;
  /** Adds the tools to an Anthropic body (passthrough path). @returns whether the body changed */
  injectIntoAnthropicBody(root: JsonObject): boolean;
  /** Adds the tools to an IR request. */
  injectIntoRequest(request: GatewayRequest): void;
  /** Agent mode, non-streaming: the final response (usage summed over the rounds). */
  runAgentLoop(request: GatewayRequest, complete: (next: GatewayRequest) => Promise<GatewayResponse>): Promise<GatewayResponse>;
  /** Agent mode for a streaming caller: every round streams from the model as it comes (see `streamMcpAgentLoop`). */
  streamAgentLoop(request: GatewayRequest, stream: (next: GatewayRequest) => Promise<ProviderStream>): Promise<ProviderStream>;
}

function createHook(gateway: McpGateway, identity: McpIdentity, request: IncomingMessage, agentMode: boolean): McpInferenceHook | undefined {
  const tools = allowedMcpTools(gateway.manager.index, identity);
  if (tools.length === 0) return undefined;
  const injected = new Set<string>();
  const runTool = async (call: ToolCallPart): Promise<ToolResultPart> => {
    const toolArguments = typeof call.input === 'object' && call.input !== null && !Array.isArray(call.input) ? (call.input as Record<string, unknown>) : {};
    try {
      const result = await callMcpTool(gateway, identity, call.name, toolArguments, { requestHeaders: request.headers });
      return mcpResultToToolResult(call.id, result);
    } catch (error) {
      const message = error instanceof McpError || error instanceof Error ? error.message : String(error);
      return { type: 'tool-result', toolCallId: call.id, content: [{ type: 'text', text: message }], isError: true };
    }
  };
  const loop = (gatewayRequest: GatewayRequest, complete: (next: GatewayRequest) => Promise<GatewayResponse>) =>
    runMcpAgentLoop(gatewayRequest, { maxSteps: gateway.settings.agentMaxSteps, complete, ownsTool: (name) => injected.has(name), runTool });
  return {
    agentMode,
    injectIntoAnthropicBody: (root) => {
      for (const name of injectMcpToolsIntoAnthropicBody(root, tools)) injected.add(name);
      return injected.size > 0;
    },
    injectIntoRequest: (gatewayRequest) => {
      for (const name of injectMcpTools(gatewayRequest, tools)) injected.add(name);
    },
    runAgentLoop: async (gatewayRequest, complete) => (await loop(gatewayRequest, complete)).response,
    streamAgentLoop: (gatewayRequest, stream) =>
      streamMcpAgentLoop(gatewayRequest, { maxSteps: gateway.settings.agentMaxSteps, stream, ownsTool: (name) => injected.has(name), runTool }),
  };
}

/**
 * The hook for one inference request, or undefined when nothing applies: no MCP gateway, Claude
 * Code, injection off and no agent header, a caller refused by the identity resolver, or no tools
 * the caller may use.
 */
export async function mcpInferenceHookFor(request: IncomingMessage): Promise<McpInferenceHook | undefined> {
  const gateway = mcpGatewayOf(request);
  if (gateway === undefined || isClaudeCode(request.headers)) return undefined;
  const agentMode = wantsMcpAgent(request.headers);
  if (!gateway.settings.injectTools && !agentMode) return undefined;
  const identity = await gateway.resolver.resolve(request.headers);
  if (identity.kind === 'refused') return undefined;
  return createHook(gateway, identity, request, agentMode);
}
