import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isAdminApiPath, type GatewayAdmin } from '../admin/admin-api.js';
import { bindAdminAuthenticator } from '../admin/admin-auth.js';
import { GatewayError } from '../core/errors.js';
import type { GatewaySettings } from '../config/gateway-settings.js';
import { handleAnthropicCountTokens } from '../inbound/anthropic/handle-anthropic-count-tokens.js';
import { handleAnthropicMessages, sendAnthropicError } from '../inbound/anthropic/handle-anthropic-messages.js';
import { handleAnthropicModels } from '../inbound/anthropic/handle-anthropic-models.js';
import { BEDROCK_PREFIX, handleBedrockRequest } from '../inbound/bedrock/handle-bedrock-request.js';
import { GENAI_PREFIX, handleGenai } from '../inbound/genai/handle-genai.js';
import { bindMcpGateway, type McpGateway } from '../mcp/mcp-gateway.js';
import { bindObservability, type Observability } from '../observability/observability.js';
import { bindGovernance } from '../governance/govern-inference-request.js';
import type { GovernanceService } from '../governance/governance-service.js';
import { readRequestBody } from './read-request-body.js';
import { applyCorsHeaders } from './cors.js';
import { acceptsHtml, DashboardFiles } from './dashboard-static-files.js';

type BodyHandler = (request: IncomingMessage, response: ServerResponse, body: Buffer, settings: GatewaySettings) => Promise<void>;

/** POST routes that take a JSON body, by path. */
const postRoutes = new Map<string, BodyHandler>([
  ['/anthropic/v1/messages', handleAnthropicMessages],
  ['/anthropic/v1/messages/count_tokens', handleAnthropicCountTokens],
]);

/**
 * Routes that own a whole path prefix and answer in their own API's shape (the Bedrock and Vertex
 * surfaces). The handler reads the body itself and must answer every error it raises.
 */
export type PrefixHandler = (request: IncomingMessage, response: ServerResponse, url: URL, settings: GatewaySettings) => Promise<void>;

/** Prefix routes, checked in order after the exact routes. Each prefix ends with `/`. */
const prefixRoutes: Array<[prefix: string, handler: PrefixHandler]> = [
  [BEDROCK_PREFIX, handleBedrockRequest],
  [GENAI_PREFIX, handleGenai],
];

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
}

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError('api_error', `internal gateway error: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  settings: GatewaySettings,
  mcpGateway?: McpGateway,
  admin?: GatewayAdmin,
  observability?: Observability,
  dashboard?: DashboardFiles,
): Promise<void> {
  const method = request.method ?? 'GET';
  if (method === 'POST') {
    // The inference routes, taken without parsing a URL when the request target is exactly one of them.
    const handler = request.url === undefined ? undefined : postRoutes.get(request.url);
    if (handler !== undefined) {
      const body = await readRequestBody(request, settings.maxBodyBytes);
      await handler(request, response, body, settings);
      return;
    }
  }
  const url = new URL(request.url ?? '/', 'http://gateway.local');
  const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;

  if (method === 'OPTIONS') {
    response.writeHead(204);
    response.end();
    return;
  }
  if (method === 'POST') {
    const handler = postRoutes.get(path);
    if (handler !== undefined) {
      const body = await readRequestBody(request, settings.maxBodyBytes);
      await handler(request, response, body, settings);
      return;
    }
  }
  if (method === 'GET' || method === 'HEAD') {
    if (path === '/health') {
      sendJson(response, 200, { status: 'ok', providers: [...settings.providers.keys()] });
      return;
    }
    // A browser opening `/` gets the dashboard; API clients probing `/` keep getting JSON.
    if (path === '/' && dashboard !== undefined && acceptsHtml(request) && (await dashboard.serve(request, response, path))) return;
    if (path === '/' || path === '/anthropic') {
      // Claude Code sends `HEAD <base URL>` before its first request.
      sendJson(response, 200, { name: 'heimdall', anthropic_base_url: '/anthropic' });
      return;
    }
    if (path === '/anthropic/v1/models' || path.startsWith('/anthropic/v1/models/')) {
      handleAnthropicModels(url, response, settings);
      return;
    }
  }
  // Observability: /metrics, /api/logs… (src/observability); before the admin API, which owns the rest of /api/….
  if (observability !== undefined && (await observability.route(request, response, path, url))) return;
  // The admin API: /api/… except /api/mcp/… (src/admin); it answers its own errors.
  if (admin?.api !== undefined && isAdminApiPath(path)) {
    await admin.api.handle(request, response, url, path);
    return;
  }
  // The MCP gateway: /mcp, /api/mcp/…, OAuth discovery answers (src/mcp).
  if (mcpGateway !== undefined && (await mcpGateway.route(request, response, path))) return;
  for (const [prefix, handler] of prefixRoutes) {
    if (path.startsWith(prefix)) {
      await handler(request, response, url, settings);
      return;
    }
  }
  // The dashboard's files and, for browser navigations (`/logs`, `/keys`, …), its index.html.
  if (dashboard !== undefined && (await dashboard.serve(request, response, path))) return;
  const known = postRoutes.has(path) || path === '/health' || path.startsWith('/anthropic/v1/models');
  if (known) throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
  throw new GatewayError('not_found_error', `no route for ${method} ${path}`);
}

/**
 * Creates the gateway's HTTP server (not yet listening). Every error that escapes a handler is
 * answered in Anthropic's error shape; an error after the response began closes it. `admin` (see
 * src/admin) serves `/api/…` and authenticates admin requests of every surface. The built
 * dashboard (`dist/dashboard/`, see dashboard-static-files.ts) is served on paths no route claims.
 */
export function createGatewayServer(
  settings: GatewaySettings,
  mcpGateway?: McpGateway,
  admin?: GatewayAdmin,
  observability?: Observability,
  governance?: GovernanceService,
): Server {
  const dashboard = new DashboardFiles();
  const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    if (!applyCorsHeaders(request, response, settings.cors)) {
      sendAnthropicError(response, new GatewayError('permission_error', `origin ${request.headers.origin} is not allowed`));
      return;
    }
    if (mcpGateway !== undefined) bindMcpGateway(request, mcpGateway);
    if (admin !== undefined) bindAdminAuthenticator(request, admin.authenticator);
    if (observability !== undefined) bindObservability(request, observability); // observability hook
    if (governance !== undefined) bindGovernance(request, governance);
    route(request, response, settings, mcpGateway, admin, observability, dashboard).catch((error: unknown) => {
      const gatewayError = toGatewayError(error);
      if (gatewayError.kind === 'api_error' && !(error instanceof GatewayError)) console.error('[heimdall] unexpected error:', error);
      sendAnthropicError(response, gatewayError);
    });
  });
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  return server;
}
