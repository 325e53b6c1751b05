import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, ErrorCode, McpError, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { mcpToolCallsTotal } from '../observability/metrics.js';
import { withMcpToolSpan } from '../observability/tracing.js';
import type { McpCredentialStore } from './mcp-credential-store.js';
import { McpAuthorizationRequiredError, McpCredentialRequiredError, McpUpstreamUnavailableError } from './mcp-errors.js';
import { identityKey, type McpIdentity } from './mcp-identity.js';
import { McpOAuthFlowError, type McpOAuthFlows } from './mcp-oauth-flows.js';
import { isToolAllowed } from './mcp-tool-access.js';
import { MCP_AUTHORIZE_TOOL, type McpUpstream } from './mcp-upstream.js';
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
  /** Per-user OAuth towards `per_user_oauth` upstreams. */
  oauth: McpOAuthFlows;
  /** The gateway's URL as the caller's browser reaches it (`mcp.public_url`, else from the Host header). */
  gatewayUrl(headers: IncomingHttpHeaders): string;
}

/** The OAuth redirect URL of the gateway. */
export const MCP_OAUTH_CALLBACK_PATH = '/api/mcp/oauth/callback';

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

/** Whether an error (or one of its causes) is the upstream refusing the caller's OAuth token. */
function isUnauthorized(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    if (current instanceof UnauthorizedError) return true;
    if (current instanceof StreamableHTTPError && current.code === 401) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/**
 * Starts an authorization for the caller and builds the tool error that hands them its URL.
 * @throws McpUpstreamUnavailableError when the authorization cannot be started (discovery failed)
 */
async function authorizationRequired(context: McpToolCallContext, upstream: McpUpstream, identity: McpIdentity, requestHeaders: IncomingHttpHeaders, reason: string): Promise<McpAuthorizationRequiredError> {
  const gatewayUrl = context.gatewayUrl(requestHeaders);
  let url: URL;
  try {
    url = await context.oauth.beginAuthorization(upstream, identityKey(identity), `${gatewayUrl}${MCP_OAUTH_CALLBACK_PATH}`);
  } catch (error) {
    if (error instanceof McpOAuthFlowError) throw new McpUpstreamUnavailableError(upstream.id, error.message, { cause: error });
    throw error;
  }
  const instructions = [
    `The MCP server '${upstream.id}' needs you to sign in with your own account (OAuth): ${reason}.`,
    `Open this link in a browser and allow access: ${url.href}`,
    'Then call the tool again. The link works once, for 15 minutes; for a new one call the tool again, or ' +
      `POST ${gatewayUrl}/api/mcp/oauth/${encodeURIComponent(upstream.id)}/authorize with ${identity.kind === 'virtual-key' ? 'your virtual key' : `"x-heimdall-mcp-session-id: ${identity.id}"`}.`,
  ].join('\n');
  return new McpAuthorizationRequiredError(upstream.id, url.href, instructions);
}

/**
 * The caller's own connection to a `per_user_oauth` upstream, carrying their token.
 * @throws McpAuthorizationRequiredError when they have not authorised it
 */
async function oauthConnection(context: McpToolCallContext, upstream: McpUpstream, identity: McpIdentity, requestHeaders: IncomingHttpHeaders): Promise<McpUpstreamClient> {
  const key = identityKey(identity);
  const provider = await context.oauth.connectionProvider(upstream, key);
  if (provider === undefined) throw await authorizationRequired(context, upstream, identity, requestHeaders, 'Heimdall holds no authorization of yours for it yet');
  return upstream.clientFor(key, {}, provider);
}

/**
 * The connection a caller's call goes through: the shared one, or the caller's own for upstreams
 * with per-user credentials or per-user OAuth.
 * @throws McpCredentialRequiredError when the caller has not stored their credential
 * @throws McpAuthorizationRequiredError when the caller has not authorised a `per_user_oauth` upstream
 * @throws McpUpstreamUnavailableError when the upstream is not connected
 */
export async function connectionForCaller(
  context: McpToolCallContext,
  upstream: McpUpstream,
  identity: McpIdentity,
  requestHeaders: IncomingHttpHeaders,
): Promise<McpUpstreamClient> {
  if (upstream.settings.perUserOAuth !== undefined) {
    if (upstream.state !== 'connected') return upstream.clientFor();
    return oauthConnection(context, upstream, identity, requestHeaders);
  }
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
  if (upstream.awaitingAuthorization && entry.tool.name === MCP_AUTHORIZE_TOOL) {
    try {
      const required = await authorizationRequired(context, upstream, identity, options.requestHeaders, 'nobody has signed in to it through Heimdall yet; its tools appear once you have');
      return { content: [{ type: 'text', text: required.message }] };
    } catch (error) {
      if (error instanceof McpUpstreamUnavailableError) return toolError(error.message);
      throw error;
    }
  }
  try {
    const result = await withMcpToolSpan(name, upstream.id, () => forwardToolCall(context, identity, upstream, entry.tool.name, toolArguments, options));
    mcpToolCallsTotal.inc({ server: upstream.id, outcome: result.isError === true ? 'tool_error' : 'ok' });
    return result;
  } catch (error) {
    mcpToolCallsTotal.inc({ server: upstream.id, outcome: 'error' });
    if (error instanceof McpCredentialRequiredError || error instanceof McpAuthorizationRequiredError || error instanceof McpUpstreamUnavailableError) return toolError(error.message);
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
  const meta = options.meta !== undefined && Object.keys(options.meta).length > 0 ? { _meta: options.meta } : {};
  for (let attempt = 1; ; attempt += 1) {
    try {
      const connection = await connectionForCaller(context, upstream, identity, options.requestHeaders);
      const result = await connection.forDownstream(options.downstream, () =>
        connection.client.callTool({ name: toolName, ...(toolArguments === undefined ? {} : { arguments: toolArguments }), ...meta }, CallToolResultSchema, {
          timeout: upstream.settings.callTimeoutMs,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.onProgress === undefined ? {} : { onprogress: options.onProgress, resetTimeoutOnProgress: true }),
        }),
      );
      return result as CallToolResult;
    } catch (error) {
      // The upstream refused the caller's OAuth token and the SDK could not refresh it. When the
      // caller still holds tokens (another connection refreshed them meanwhile), try once more.
      if (upstream.settings.perUserOAuth === undefined || !isUnauthorized(error)) throw error;
      const key = identityKey(identity);
      await upstream.forgetUser(key);
      if (attempt === 1 && (await context.oauth.isAuthorized(upstream.id, key))) continue;
      await context.oauth.forget(upstream.id, key);
      throw await authorizationRequired(context, upstream, identity, options.requestHeaders, 'your authorization was refused (expired or revoked) and could not be refreshed');
    }
  }
}
