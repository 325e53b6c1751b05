import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv } from 'ajv';
import { authenticateAdmin } from '../admin/admin-auth.js';
import { ConfigError } from '../config/load-config.js';
import { GatewayError } from '../core/errors.js';
import { readRequestBody } from '../server/read-request-body.js';
import { McpServerConfigSchema, MCP_UPSTREAM_NAME_PATTERN, type McpServerConfig } from './mcp-config-schema.js';
import { aggregatedName, MCP_NAME_SEPARATOR } from './mcp-tool-names.js';
import { buildMcpUpstreamSettings, type McpUpstreamSettings } from './mcp-settings.js';
import { McpUpstreamConflictError, type McpUpstreamManager } from './mcp-upstream-manager.js';
import type { McpUpstreamStore } from './mcp-upstream-store.js';
import { upstreamExposesTool } from './mcp-tool-access.js';

/**
 * The admin API of the MCP gateway's upstreams:
 *
 * - `GET /api/mcp/clients` — every upstream with its state (connected, tool count, last error, …);
 * - `GET /api/mcp/clients/{id}` — one;
 * - `POST /api/mcp/clients` — add one: `{"name": "<id>", …config entry}` (the shape of `mcp.servers.<id>`);
 * - `PUT /api/mcp/clients/{id}` — replace its config (reconnects);
 * - `DELETE /api/mcp/clients/{id}` — remove it;
 * - `POST /api/mcp/client/{id}/reconnect` (also `/api/mcp/clients/{id}/reconnect`) — reconnect now;
 * - `GET /api/mcp/clients/{id}/tools` — the tools it serves now (empty unless connected): each with
 *   the name callers see, the `<upstream>__<tool>` name virtual keys' `mcp_tools` patterns match,
 *   whether the upstream's `tools` allowlist exposes it (`exposed`), and its description.
 *
 * Changes apply at once, without a restart. With storage (`options.store`) upstreams added here
 * are stored in the database (secrets encrypted) and connected again on the next start; without
 * it they last until the process ends. They are never written back to the config file, and
 * upstreams from the config file are read-only here (409; `reconnect` works on every upstream).
 * Each upstream's status carries `source`: `config` or `api`. Access as for the rest of the admin API ({@link requireAdmin}): the
 * admin token (`admin.token` or `HEIMDALL_ADMIN_TOKEN`) as `Authorization: Bearer`, a dashboard
 * session, or — with no admin credential configured — loopback callers only.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/lifecycle
 */

export const MCP_ADMIN_PREFIX = '/api/mcp/';

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
const validateServerConfig = ajv.compile<McpServerConfig>(McpServerConfigSchema);
const upstreamName = new RegExp(MCP_UPSTREAM_NAME_PATTERN);

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
}

function constantTimeEquals(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left);
  const rightBytes = Buffer.from(right);
  return leftBytes.length === rightBytes.length && timingSafeEqual(leftBytes, rightBytes);
}

/**
 * Checks that the request may use the admin API: the configured admin token as
 * `Authorization: Bearer`, else whatever the admin API's authenticator accepts
 * (`src/admin/admin-auth.ts`: a dashboard session, or loopback while no admin credential is
 * configured). A loopback caller without the token is refused once a token is configured.
 * @throws GatewayError 401 otherwise
 */
export async function requireAdmin(request: IncomingMessage, adminToken: string | undefined): Promise<void> {
  const authorization = request.headers.authorization ?? '';
  const token = /^bearer\s+/i.test(authorization) ? authorization.replace(/^bearer\s+/i, '').trim() : '';
  if (adminToken !== undefined && token !== '' && constantTimeEquals(token, adminToken)) return;
  const principal = await authenticateAdmin(request);
  if (principal !== undefined && (adminToken === undefined || principal.kind !== 'loopback')) return;
  throw new GatewayError('authentication_error', 'the admin API needs "Authorization: Bearer <admin token>" (admin.token or HEIMDALL_ADMIN_TOKEN)', {
    headers: { 'www-authenticate': 'Bearer realm="heimdall-admin"' },
  });
}

/** Parses a JSON request body. @throws GatewayError 400 */
export async function readJsonObject(request: IncomingMessage, maxBodyBytes: number): Promise<Record<string, unknown>> {
  const body = await readRequestBody(request, maxBodyBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_request_error', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('invalid_request_error', 'request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** What the admin API works on besides the manager. */
export interface McpAdminApiOptions {
  adminToken: string | undefined;
  maxBodyBytes: number;
  /** Longest tool name callers see (the gateway's `<server>__<tool>` names are cut to it). */
  maxToolNameLength?: number;
  /** Names of the upstreams from the config file (read-only here). */
  configUpstreams: ReadonlySet<string>;
  /** Keeps API-added upstreams across restarts; absent without storage. */
  store?: McpUpstreamStore;
  /** Called after an API-added upstream was stored and applied (`config` undefined: deleted). */
  storedChanged(name: string, config: McpServerConfig | undefined): Promise<void>;
  /** Drops the credentials (per-user headers, OAuth tokens and client) held for a deleted upstream. */
  forgetUpstream(id: string): Promise<void>;
}

function settingsFromBody(id: string, config: Record<string, unknown>): { settings: McpUpstreamSettings; config: McpServerConfig } {
  if (!upstreamName.test(id)) {
    throw new GatewayError('invalid_request_error', `name: '${id}' must be 1–32 letters, digits, '-' or single '_' (it prefixes tool names)`);
  }
  if (!validateServerConfig(config)) {
    const problems = (validateServerConfig.errors ?? []).map((error) => {
      const field = error.instancePath === '' ? '(root)' : error.instancePath.slice(1).replaceAll('/', '.');
      if (error.keyword === 'additionalProperties') return `${(error.params as { additionalProperty: string }).additionalProperty}: unknown field`;
      return `${field}: ${error.message ?? 'invalid'}`;
    });
    throw new GatewayError('invalid_request_error', `invalid MCP server config: ${[...new Set(problems)].join('; ')}`);
  }
  try {
    return { settings: buildMcpUpstreamSettings(id, config, process.env, id), config };
  } catch (error) {
    if (error instanceof ConfigError) throw new GatewayError('invalid_request_error', error.message);
    throw error;
  }
}

function conflict(error: unknown): never {
  if (error instanceof McpUpstreamConflictError) {
    throw new GatewayError(error.reason === 'exists' ? 'invalid_request_error' : 'not_found_error', error.message, { status: error.reason === 'exists' ? 409 : 404 });
  }
  throw error;
}

/**
 * Serves `/api/mcp/clients…` and `/api/mcp/client/{id}/reconnect`.
 * @returns false when the path is not one of these
 * @throws GatewayError for refusals and bad requests (answered by the server's error handler)
 */
export async function handleMcpAdminRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  manager: McpUpstreamManager,
  options: McpAdminApiOptions,
): Promise<boolean> {
  const sourceOf = (id: string): 'config' | 'api' => (options.configUpstreams.has(id) ? 'config' : 'api');
  const withSource = <T extends { id: string }>(status: T): T & { source: 'config' | 'api' } => ({ ...status, source: sourceOf(status.id) });
  const refuseConfigUpstream = (id: string): void => {
    if (options.configUpstreams.has(id)) {
      throw new GatewayError('invalid_request_error', `MCP server '${id}' is defined in the config file (mcp.servers.${id}); change it there`, { status: 409 });
    }
  };
  const segments = path.slice(MCP_ADMIN_PREFIX.length).split('/').map(decodeURIComponent);
  const method = request.method ?? 'GET';
  const [collection, id, action] = segments;
  if (collection !== 'clients' && collection !== 'client') return false;
  await requireAdmin(request, options.adminToken);

  if (collection === 'clients' && id === undefined) {
    if (method === 'GET') {
      sendJson(response, 200, { clients: manager.statuses().map(withSource) });
      return true;
    }
    if (method === 'POST') {
      const body = await readJsonObject(request, options.maxBodyBytes);
      const { name, ...config } = body;
      if (typeof name !== 'string') throw new GatewayError('invalid_request_error', 'name: required (the upstream id, used as the tool prefix)');
      const parsed = settingsFromBody(name, config);
      if (manager.get(name) !== undefined) conflict(new McpUpstreamConflictError(`MCP server '${name}' already exists`, 'exists'));
      await options.store?.save(name, parsed.config);
      let upstream;
      try {
        upstream = manager.add(parsed.settings);
      } catch (error) {
        conflict(error);
      }
      await options.storedChanged(name, parsed.config);
      await upstream.settled();
      sendJson(response, 201, withSource(upstream.status()));
      return true;
    }
    throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
  }
  if (id === undefined || id === '') throw new GatewayError('not_found_error', `no route for ${method} ${path}`);

  if (action === 'reconnect' && segments.length === 3) {
    if (method !== 'POST') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    const upstream = manager.get(id);
    if (upstream === undefined) throw new GatewayError('not_found_error', `no MCP server '${id}'`);
    await upstream.reconnect();
    sendJson(response, 200, withSource(upstream.status()));
    return true;
  }
  if (collection === 'clients' && action === 'tools' && segments.length === 3) {
    if (method !== 'GET') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    const upstream = manager.get(id);
    if (upstream === undefined) throw new GatewayError('not_found_error', `no MCP server '${id}'`);
    const status = upstream.status();
    const tools = upstream.catalog.tools.map((tool) => ({
      name: tool.name,
      exposed_name: aggregatedName(id, tool.name, status.namespace, options.maxToolNameLength ?? 64),
      access_name: `${id}${MCP_NAME_SEPARATOR}${tool.name}`,
      exposed: upstreamExposesTool(upstream.settings, tool.name),
      ...(tool.description === undefined ? {} : { description: tool.description }),
    }));
    sendJson(response, 200, { id, state: status.state, tools });
    return true;
  }
  if (collection !== 'clients' || segments.length !== 2) throw new GatewayError('not_found_error', `no route for ${method} ${path}`);

  if (method === 'GET') {
    const upstream = manager.get(id);
    if (upstream === undefined) throw new GatewayError('not_found_error', `no MCP server '${id}'`);
    sendJson(response, 200, withSource(upstream.status()));
    return true;
  }
  if (method === 'PUT') {
    const body = await readJsonObject(request, options.maxBodyBytes);
    const { name, ...config } = body;
    if (name !== undefined && name !== id) throw new GatewayError('invalid_request_error', `name: '${String(name)}' differs from the path's '${id}' (renaming is not supported)`);
    const parsed = settingsFromBody(id, config);
    if (manager.get(id) === undefined) conflict(new McpUpstreamConflictError(`no MCP server '${id}'`, 'unknown'));
    refuseConfigUpstream(id);
    await options.store?.save(id, parsed.config);
    let upstream;
    try {
      upstream = await manager.replace(parsed.settings);
    } catch (error) {
      conflict(error);
    }
    await options.storedChanged(id, parsed.config);
    await upstream.settled();
    sendJson(response, 200, withSource(upstream.status()));
    return true;
  }
  if (method === 'DELETE') {
    if (manager.get(id) === undefined) conflict(new McpUpstreamConflictError(`no MCP server '${id}'`, 'unknown'));
    refuseConfigUpstream(id);
    await options.store?.remove(id);
    try {
      await manager.remove(id);
    } catch (error) {
      conflict(error);
    }
    await options.forgetUpstream(id);
    await options.storedChanged(id, undefined);
    sendJson(response, 200, { id, deleted: true });
    return true;
  }
  throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
}
