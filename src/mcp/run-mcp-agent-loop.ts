import type { GatewayRequest, ToolCallPart, ToolResultPart } from '../core/gateway-request.js';
import type { GatewayResponse, Usage } from '../core/gateway-response.js';

/**
 * Agent mode on the inference path: the gateway runs the MCP tool calls the model makes and sends
 * the results back to the model, up to `maxSteps` rounds, so that plain chat clients get MCP tools
 * too. A turn that also calls a tool the gateway does not own ends the loop: the response goes to
 * the caller as it is, for the caller to run its own tools. Works on the IR, non-streaming.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
 */

export interface McpAgentLoopOptions {
  /** Most tool rounds run; the response after the last round goes back even if it asks for more tools. */
  maxSteps: number;
  /** One non-streaming model call. */
  complete(request: GatewayRequest): Promise<GatewayResponse>;
  /** Whether the gateway runs this tool (an injected MCP tool). */
  ownsTool(name: string): boolean;
  /** Runs one tool call. Never rejects for a tool failure: that is an `isError` result. */
  runTool(call: ToolCallPart): Promise<ToolResultPart>;
}

/** The final response, and how many tool rounds ran. */
export interface McpAgentLoopResult {
  response: GatewayResponse;
  steps: number;
}

function addUsage(total: Usage, more: Usage): Usage {
  return {
    inputTokens: total.inputTokens + more.inputTokens,
    outputTokens: total.outputTokens + more.outputTokens,
    cacheReadTokens: total.cacheReadTokens + more.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens + more.cacheWriteTokens,
    ...(total.reasoningTokens === undefined && more.reasoningTokens === undefined ? {} : { reasoningTokens: (total.reasoningTokens ?? 0) + (more.reasoningTokens ?? 0) }),
  };
}

/**
 * Runs the model, then — while it stops for tool use, every tool it called is the gateway's, and
 * fewer than `maxSteps` rounds ran — the tools, appending the assistant turn and the results to the
 * conversation. Usage is summed over every model call. `request` is not changed.
 */
export async function runMcpAgentLoop(request: GatewayRequest, options: McpAgentLoopOptions): Promise<McpAgentLoopResult> {
  const conversation: GatewayRequest = { ...request, messages: [...request.messages], stream: false };
  let response = await options.complete(conversation);
  let usage = response.usage;
  let steps = 0;
  while (response.finishReason === 'tool-use' && steps < options.maxSteps) {
    const calls = response.content.filter((part): part is ToolCallPart => part.type === 'tool-call');
    if (calls.length === 0 || !calls.every((call) => options.ownsTool(call.name))) break;
    const results = await Promise.all(calls.map((call) => options.runTool(call)));
    conversation.messages.push({ role: 'assistant', content: response.content }, { role: 'user', content: results });
    steps += 1;
    response = await options.complete(conversation);
    usage = addUsage(usage, response.usage);
  }
  return { response: { ...response, usage }, steps };
}
