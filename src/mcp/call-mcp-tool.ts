import type { IncomingHttpHeaders } from 'node:http';
import { CallToolResultSchema, ErrorCode, McpError, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { mcpToolCallsTotal } from '../observability/metrics.js';
import { withMcpToolSpan } from '../observability/tracing.js';
import type { McpCredentialStore } from './mcp-credential-store.js';
import { McpCredentialRequiredError, McpUpstreamUnavailableError } from './mcp-errors.js';
import { identityKey, type McpIdentity } from './mcp-identity.js';
import { isToolAllowed } from './mcp-tool-access.js';
import type { McpUpstream } from './mcp-upstream.js';
import type { DownstreamCallContext, McpUpstreamClient } from './mcp-upstream-client.js';
import type { McpUpstreamManager } from './mcp-upstream-manager.js';

/**
 * Calls an aggregated tool for a caller: checks the caller may use it, picks the connection (the
 * caller's own for upstreams with per-user credentials), forwards the call under the upstream's
 * own name, and relays the result. Each forwarded call is counted (`heimdall_mcp_tool_calls_total`,
 * by upstream and outcome) and traced (`execute_tool <tool>` under the current attempt span, when
 * tracing is on). Shared by `/mcp` (`tools/call`) and agent mode on the inference
 * path.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools
 */

/** What a tool call needs from the gateway. */
export interface McpToolCallContext {
  manager: McpUpstreamManager;
  credentials: McpCredentialStore;
  /** Where a caller stores a per-user credential, for the instructions in the tool error. */
  credentialsUrl(upstreamId: string, headers: IncomingHttpHeaders): string;
}

export interface McpToolCallOptions {
  /** The headers of the caller's request (for the credentials URL). */
  requestHeaders: IncomingHttpHeaders;
  signal?: AbortSignal;
  /** Where the upstream's sampling/elicitation requests and log messages go. */
  downstream?: DownstreamCallContext;
  /** `_meta` to forward (without a progress token). */
  meta?: Record<string, unknown>;
  /** Called for each progress notification of the upstream. */
  onProgress?(progress: Progress): void;
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/** Builds the instructions shown when a per-user credential is missing. */
export function credentialInstructions(upstreamId: string, headerNames: readonly string[], identity: McpIdentity, url: string): string {
  const who =
    identity.kind === 'virtual-key'
      ? 'your virtual key ("Authorization: Bearer <virtual key>" or "x-heimdall-vk: <virtual key>")'
      : `your session id ("x-heimdall-mcp-session-id: ${identity.id}")`;
  const body = JSON.stringify({ headers: Object.fromEntries(headerNames.map((name) => [name, '<your value>'])) });
  return [
    `The MCP server '${upstreamId}' needs your own credential (header${headerNames.length === 1 ? '' : 's'} ${headerNames.join(', ')}), and Heimdall holds none for you yet.`,
    `Store it once with: PUT ${url} with ${who} and the JSON body ${body}.`,
    `Example: curl -X PUT '${url}' -H 'content-type: application/json' ${identity.kind === 'virtual-key' ? "-H 'x-heimdall-vk: <virtual key>'" : `-H 'x-heimdall-mcp-session-id: ${identity.id}'`} -d '${body}'`,
    'Then call the tool again.',
  ].join('\n');
}

/**
 * The connection a caller's call goes through: the shared one, or the caller's own for upstreams
 * with per-user credentials.
 * @throws McpCredentialRequiredError when the caller has not stored their credential
 * @throws McpUpstreamUnavailableError when the upstream is not connected
 */
export async function connectionForCaller(
  context: McpToolCallContext,
  upstream: McpUpstream,
  identity: McpIdentity,
  requestHeaders: IncomingHttpHeaders,
): Promise<McpUpstreamClient> {
  const needed = upstream.settings.perUserHeaders;
  if (needed.length === 0) return upstream.clientFor();
  const key = identityKey(identity);
  const stored = await context.credentials.get(upstream.id, key);
  if (stored === undefined || needed.some((name) => stored[name] === undefined)) {
    throw new McpCredentialRequiredError(upstream.id, needed, credentialInstructions(upstream.id, needed, identity, context.credentialsUrl(upstream.id, requestHeaders)));
  }
  return upstream.clientFor(key, stored);
}

/**
 * Calls the aggregated tool `name` for `identity`. Upstream tool errors (`isError`), a missing
 * per-user credential and an unavailable upstream come back as tool results with `isError: true`.
 * @throws McpError InvalidParams for a tool that does not exist or the caller may not use; the
 *   upstream's own JSON-RPC errors as they came
 */
export async function callMcpTool(
  context: McpToolCallContext,
  identity: McpIdentity,
  name: string,
  toolArguments: Record<string, unknown> | undefined,
  options: McpToolCallOptions,
): Promise<CallToolResult> {
  const entry = context.manager.index.tools.get(name);
  if (entry === undefined || !isToolAllowed(identity, entry.upstream.settings, entry.tool.name)) {
    throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
  }
  const { upstream } = entry;
  try {
    const result = await withMcpToolSpan(name, upstream.id, () => forwardToolCall(context, identity, upstream, entry.tool.name, toolArguments, options));
    mcpToolCallsTotal.inc({ server: upstream.id, outcome: result.isError === true ? 'tool_error' : 'ok' });
    return result;
  } catch (error) {
    mcpToolCallsTotal.inc({ server: upstream.id, outcome: 'error' });
    if (error instanceof McpCredentialRequiredError || error instanceof McpUpstreamUnavailableError) return toolError(error.message);
    if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed && error.code !== ErrorCode.RequestTimeout) throw error;
    return toolError(`calling ${name} on MCP server '${upstream.id}' failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Forwards one tool call to the upstream under its own name `toolName`, through the caller's
 * connection.
 * @throws McpCredentialRequiredError, McpUpstreamUnavailableError as {@link connectionForCaller};
 *   the upstream's JSON-RPC errors as they came
 */
async function forwardToolCall(
  context: McpToolCallContext,
  identity: McpIdentity,
  upstream: McpUpstream,
  toolName: string,
  toolArguments: Record<string, unknown> | undefined,
  options: McpToolCallOptions,
): Promise<CallToolResult> {
  const connection = await connectionForCaller(context, upstream, identity, options.requestHeaders);
  const meta = options.meta !== undefined && Object.keys(options.meta).length > 0 ? { _meta: options.meta } : {};
  const result = await connection.forDownstream(options.downstream, () =>
    connection.client.callTool({ name: toolName, ...(toolArguments === undefined ? {} : { arguments: toolArguments }), ...meta }, CallToolResultSchema, {
      timeout: upstream.settings.callTimeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onprogress: options.onProgress, resetTimeoutOnProgress: true }),
    }),
  );
  return result as CallToolResult;
}
