import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { readJsonObject } from './mcp-admin-api.js';
import type { McpCredentialStore } from './mcp-credential-store.js';
import { identityKey, type McpIdentity, type McpIdentityResolver } from './mcp-identity.js';
import type { McpUpstreamManager } from './mcp-upstream-manager.js';

/**
 * Self-service per-user credentials for upstreams with `per_user_headers`. The caller identifies
 * as on `/mcp` (virtual key, or `x-heimdall-mcp-session-id` when auth is not enforced):
 *
 * - `PUT /api/mcp/credentials/{upstream}` `{"headers": {"authorization": "Bearer …"}}` — store;
 * - `DELETE /api/mcp/credentials/{upstream}` — forget;
 * - `GET /api/mcp/credentials` — the upstreams the caller holds credentials for (never the values).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/security_best_practices#token-passthrough
 */

export const MCP_CREDENTIALS_PATH = '/api/mcp/credentials';

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
}

async function callerOf(request: IncomingMessage, resolver: McpIdentityResolver): Promise<McpIdentity> {
  const resolution = await resolver.resolve(request.headers);
  if (resolution.kind === 'refused') throw new GatewayError('authentication_error', resolution.message);
  return resolution;
}

/**
 * Serves `/api/mcp/credentials[/{upstream}]`.
 * @returns false when the path is not one of these
 * @throws GatewayError for refusals and bad requests
 */
export async function handleMcpCredentialsRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  dependencies: { manager: McpUpstreamManager; resolver: McpIdentityResolver; credentials: McpCredentialStore; maxBodyBytes: number },
): Promise<boolean> {
  if (path !== MCP_CREDENTIALS_PATH && !path.startsWith(`${MCP_CREDENTIALS_PATH}/`)) return false;
  const method = request.method ?? 'GET';
  const identity = await callerOf(request, dependencies.resolver);
  const key = identityKey(identity);

  if (path === MCP_CREDENTIALS_PATH) {
    if (method !== 'GET') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    const upstreams: string[] = [];
    for (const upstream of dependencies.manager.list()) {
      if (upstream.settings.perUserHeaders.length > 0 && (await dependencies.credentials.get(upstream.id, key)) !== undefined) upstreams.push(upstream.id);
    }
    sendJson(response, 200, { identity: { kind: identity.kind, id: identity.id }, upstreams });
    return true;
  }

  const upstreamId = decodeURIComponent(path.slice(MCP_CREDENTIALS_PATH.length + 1));
  const upstream = dependencies.manager.get(upstreamId);
  if (upstream === undefined) throw new GatewayError('not_found_error', `no MCP server '${upstreamId}'`);
  const needed = upstream.settings.perUserHeaders;
  if (needed.length === 0) throw new GatewayError('invalid_request_error', `MCP server '${upstreamId}' takes no per-user credential`);

  if (method === 'PUT') {
    const body = await readJsonObject(request, dependencies.maxBodyBytes);
    const headers = body.headers;
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      throw new GatewayError('invalid_request_error', `headers: required, an object of ${needed.join(', ')}`);
    }
    const stored: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (!needed.includes(lower)) throw new GatewayError('invalid_request_error', `headers.${name}: not a per-user header of '${upstreamId}' (expected ${needed.join(', ')})`);
      if (typeof value !== 'string' || value === '') throw new GatewayError('invalid_request_error', `headers.${name}: must be a non-empty string`);
      stored[lower] = value;
    }
    const missing = needed.filter((name) => stored[name] === undefined);
    if (missing.length > 0) throw new GatewayError('invalid_request_error', `headers: missing ${missing.join(', ')}`);
    await dependencies.credentials.set(upstreamId, key, stored);
    await upstream.forgetUser(key);
    sendJson(response, 200, { upstream: upstreamId, identity: { kind: identity.kind, id: identity.id }, stored: Object.keys(stored) });
    return true;
  }
  if (method === 'DELETE') {
    const deleted = await dependencies.credentials.delete(upstreamId, key);
    await upstream.forgetUser(key);
    sendJson(response, 200, { upstream: upstreamId, deleted });
    return true;
  }
  throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
}
