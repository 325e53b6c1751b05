import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { MCP_OAUTH_CALLBACK_PATH } from './call-mcp-tool.js';
import { identityKey, type McpIdentity, type McpIdentityResolver } from './mcp-identity.js';
import { McpOAuthFlowError, McpOAuthStateError, type McpOAuthFlows } from './mcp-oauth-flows.js';
import { PENDING_AUTHORIZATION_TTL_MS } from './mcp-oauth-store.js';
import type { McpUpstreamManager } from './mcp-upstream-manager.js';

/**
 * Per-user OAuth towards `per_user_oauth` upstreams, over HTTP. The caller identifies as on
 * `/mcp` (virtual key, or `x-heimdall-mcp-session-id` when auth is not enforced):
 *
 * - `POST /api/mcp/oauth/{upstream}/authorize` → `{authorization_url, expires_in_seconds}`: the
 *   URL the user opens in a browser to sign in at the upstream's authorization server (the same
 *   URL a tool call without authorization returns in its tool error);
 * - `GET /api/mcp/oauth` → the `per_user_oauth` upstreams and whether the caller has authorised each;
 * - `DELETE /api/mcp/oauth/{upstream}` → forget the caller's tokens.
 *
 * and, without identity (the `state` names the caller), the redirect URL the authorization server
 * sends the browser back to: `GET /api/mcp/oauth/callback?code=…&state=…` exchanges the code,
 * stores the tokens, connects the upstream if it was waiting for a first authorization, and
 * answers a short HTML page.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

export const MCP_OAUTH_PATH = '/api/mcp/oauth';

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(payload));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function sendPage(response: ServerResponse, status: number, title: string, message: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  response.end(`<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`);
}

async function callerOf(request: IncomingMessage, resolver: McpIdentityResolver): Promise<McpIdentity> {
  const resolution = await resolver.resolve(request.headers);
  if (resolution.kind === 'refused') throw new GatewayError('authentication_error', resolution.message);
  return resolution;
}

/** What the OAuth API needs. */
export interface McpOAuthApiDependencies {
  manager: McpUpstreamManager;
  resolver: McpIdentityResolver;
  oauth: McpOAuthFlows;
  gatewayUrl(headers: IncomingHttpHeaders): string;
}

async function handleCallback(request: IncomingMessage, response: ServerResponse, dependencies: McpOAuthApiDependencies): Promise<void> {
  const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
  const error = query.get('error');
  if (error !== null) {
    const description = query.get('error_description');
    sendPage(response, 400, 'Authorization not granted', `The authorization server answered ${error}${description === null ? '' : `: ${description}`}. Nothing was stored; call the tool again for a new link.`);
    return;
  }
  const code = query.get('code');
  const state = query.get('state');
  if (code === null || code === '' || state === null || state === '') {
    sendPage(response, 400, 'Invalid authorization response', 'The callback needs the code and state parameters the authorization server adds.');
    return;
  }
  try {
    const { upstream, identityKey: key } = await dependencies.oauth.completeAuthorization(state, code);
    await upstream.forgetUser(key);
    if (upstream.state !== 'connected' && upstream.settings.enabled) await upstream.reconnect().catch(() => undefined);
    sendPage(response, 200, 'Heimdall is authorised', `Heimdall can now use the MCP server '${upstream.id}' for you. You can close this window and call the tool again.`);
  } catch (failure) {
    if (failure instanceof McpOAuthStateError || failure instanceof McpOAuthFlowError) {
      sendPage(response, 400, 'Authorization failed', failure.message);
      return;
    }
    throw failure;
  }
}

/**
 * Serves `/api/mcp/oauth…`.
 * @returns false when the path is not one of these
 * @throws GatewayError for refusals and bad requests
 */
export async function handleMcpOAuthRequest(request: IncomingMessage, response: ServerResponse, path: string, dependencies: McpOAuthApiDependencies): Promise<boolean> {
  if (path !== MCP_OAUTH_PATH && !path.startsWith(`${MCP_OAUTH_PATH}/`)) return false;
  const method = request.method ?? 'GET';
  if (path === MCP_OAUTH_CALLBACK_PATH) {
    if (method !== 'GET') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    await handleCallback(request, response, dependencies);
    return true;
  }
  const identity = await callerOf(request, dependencies.resolver);
  const key = identityKey(identity);
  if (path === MCP_OAUTH_PATH) {
    if (method !== 'GET') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    const upstreams: Array<{ id: string; authorized: boolean }> = [];
    for (const upstream of dependencies.manager.list()) {
      if (upstream.settings.perUserOAuth !== undefined) upstreams.push({ id: upstream.id, authorized: await dependencies.oauth.isAuthorized(upstream.id, key) });
    }
    sendJson(response, 200, { identity: { kind: identity.kind, id: identity.id }, upstreams });
    return true;
  }
  const [upstreamId = '', action, ...rest] = path.slice(MCP_OAUTH_PATH.length + 1).split('/').map(decodeURIComponent);
  if (rest.length > 0 || (action !== undefined && action !== 'authorize')) throw new GatewayError('not_found_error', `no route for ${method} ${path}`);
  const upstream = dependencies.manager.get(upstreamId);
  if (upstream === undefined) throw new GatewayError('not_found_error', `no MCP server '${upstreamId}'`);
  if (upstream.settings.perUserOAuth === undefined) throw new GatewayError('invalid_request_error', `MCP server '${upstreamId}' does not use per-user OAuth`);

  if (action === 'authorize') {
    if (method !== 'POST') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    request.resume();
    let url: URL;
    try {
      url = await dependencies.oauth.beginAuthorization(upstream, key, `${dependencies.gatewayUrl(request.headers)}${MCP_OAUTH_CALLBACK_PATH}`);
    } catch (error) {
      if (error instanceof McpOAuthFlowError) throw new GatewayError('api_error', error.message, { status: 502 });
      throw error;
    }
    sendJson(response, 200, { upstream: upstream.id, authorization_url: url.href, expires_in_seconds: PENDING_AUTHORIZATION_TTL_MS / 1000 });
    return true;
  }
  if (method === 'DELETE') {
    const deleted = await dependencies.oauth.forget(upstream.id, key);
    await upstream.forgetUser(key);
    sendJson(response, 200, { upstream: upstream.id, deleted });
    return true;
  }
  throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
}
