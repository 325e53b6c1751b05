import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthMetadata, OAuthProtectedResourceMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * A local stand-in for a remote MCP server that requires OAuth, as the MCP authorization spec
 * describes it, on two 127.0.0.1 ports:
 *
 * - the authorization server: metadata (RFC 8414), dynamic client registration (RFC 7591),
 *   `/authorize` (authorization code with PKCE S256 required, RFC 8707 `resource` checked) and
 *   `/token` (`authorization_code` with the code verifier checked, `refresh_token`). There is no
 *   login page: the user "signs in" by the `login_as` query parameter added to the authorization URL.
 * - the resource server: protected-resource metadata (RFC 9728) and a Streamable HTTP MCP server
 *   at `/mcp` that answers 401 with `WWW-Authenticate: Bearer resource_metadata=…` without a valid
 *   token; its tool `whoami` answers `user=<who signed in>`.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

interface IssuedToken {
  user: string;
  clientId: string;
  expired: boolean;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  user: string;
  resource: string | null;
}

export interface MockOAuthMcpServer {
  /** The MCP server's URL (`…/mcp`). */
  mcpUrl: string;
  /** The authorization server's issuer URL. */
  issuerUrl: string;
  /** Every `tools/call` served: who and with which access token. */
  calls: Array<{ user: string; token: string }>;
  /** Client ids registered dynamically. */
  registrations: string[];
  /** Refresh-token grants served. */
  refreshes: number;
  /** Requests refused with 401 at the MCP endpoint. */
  unauthorizedRequests: number;
  /** Makes every access token issued so far invalid (as if it had expired). */
  expireAccessTokens(): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(payload));
}

function oauthError(response: ServerResponse, status: number, error: string, description: string): void {
  sendJson(response, status, { error, error_description: description });
}

async function listen(server: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function token(): string {
  return randomBytes(18).toString('base64url');
}

/** Starts the authorization server and the MCP resource server. */
export async function startMockOAuthMcpServer(): Promise<MockOAuthMcpServer> {
  const clients = new Map<string, { redirectUris: string[] }>();
  const codes = new Map<string, PendingCode>();
  const accessTokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, { user: string; clientId: string }>();
  let issuerUrl = '';
  let resourceUrl = '';

  const state: MockOAuthMcpServer = {
    mcpUrl: '',
    issuerUrl: '',
    calls: [],
    registrations: [],
    refreshes: 0,
    unauthorizedRequests: 0,
    expireAccessTokens: () => {
      for (const issued of accessTokens.values()) issued.expired = true;
    },
    close: async () => undefined,
  };

  const issueTokens = (user: string, clientId: string): OAuthTokens => {
    const access = token();
    const refresh = token();
    accessTokens.set(access, { user, clientId, expired: false });
    refreshTokens.set(refresh, { user, clientId });
    return { access_token: access, token_type: 'Bearer', expires_in: 3600, refresh_token: refresh };
  };

  const authorizationServer = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', issuerUrl);
      if (request.method === 'GET' && url.pathname === '/.well-known/oauth-authorization-server') {
        const metadata: OAuthMetadata = {
          issuer: issuerUrl,
          authorization_endpoint: `${issuerUrl}/authorize`,
          token_endpoint: `${issuerUrl}/token`,
          registration_endpoint: `${issuerUrl}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
        };
        sendJson(response, 200, metadata);
        return;
      }
      if (request.method === 'POST' && url.pathname === '/register') {
        const metadata = JSON.parse(await readBody(request)) as { redirect_uris?: unknown };
        if (!Array.isArray(metadata.redirect_uris) || metadata.redirect_uris.length === 0) {
          oauthError(response, 400, 'invalid_redirect_uri', 'redirect_uris required');
          return;
        }
        const clientId = `client-${token()}`;
        clients.set(clientId, { redirectUris: metadata.redirect_uris.map(String) });
        state.registrations.push(clientId);
        sendJson(response, 201, { ...metadata, client_id: clientId, client_id_issued_at: Math.floor(Date.now() / 1000), token_endpoint_auth_method: 'none' });
        return;
      }
      if (request.method === 'GET' && url.pathname === '/authorize') {
        const query = url.searchParams;
        const client = clients.get(query.get('client_id') ?? '');
        const redirectUri = query.get('redirect_uri') ?? '';
        if (client === undefined || !client.redirectUris.includes(redirectUri)) {
          oauthError(response, 400, 'invalid_request', 'unknown client or unregistered redirect_uri');
          return;
        }
        const challenge = query.get('code_challenge');
        if (query.get('response_type') !== 'code' || challenge === null || query.get('code_challenge_method') !== 'S256') {
          oauthError(response, 400, 'invalid_request', 'response_type=code with an S256 code_challenge is required');
          return;
        }
        const resource = query.get('resource');
        if (resource !== resourceUrl) {
          oauthError(response, 400, 'invalid_target', `resource must be ${resourceUrl}`);
          return;
        }
        const user = query.get('login_as');
        if (user === null) {
          oauthError(response, 400, 'login_required', 'sign in (login_as) first');
          return;
        }
        const code = token();
        codes.set(code, { clientId: query.get('client_id') ?? '', redirectUri, codeChallenge: challenge, user, resource });
        const target = new URL(redirectUri);
        target.searchParams.set('code', code);
        const stateParameter = query.get('state');
        if (stateParameter !== null) target.searchParams.set('state', stateParameter);
        response.writeHead(302, { location: target.href });
        response.end();
        return;
      }
      if (request.method === 'POST' && url.pathname === '/token') {
        const form = new URLSearchParams(await readBody(request));
        const clientId = form.get('client_id') ?? '';
        if (!clients.has(clientId)) {
          oauthError(response, 401, 'invalid_client', 'unknown client');
          return;
        }
        if (form.get('grant_type') === 'authorization_code') {
          const pending = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          if (pending === undefined || pending.clientId !== clientId || pending.redirectUri !== form.get('redirect_uri')) {
            oauthError(response, 400, 'invalid_grant', 'unknown code, or issued to another client or redirect_uri');
            return;
          }
          if (createHash('sha256').update(verifier).digest('base64url') !== pending.codeChallenge) {
            oauthError(response, 400, 'invalid_grant', 'code_verifier does not match the code_challenge');
            return;
          }
          sendJson(response, 200, issueTokens(pending.user, clientId));
          return;
        }
        if (form.get('grant_type') === 'refresh_token') {
          const refresh = form.get('refresh_token') ?? '';
          const grant = refreshTokens.get(refresh);
          if (grant === undefined || grant.clientId !== clientId) {
            oauthError(response, 400, 'invalid_grant', 'unknown refresh token');
            return;
          }
          refreshTokens.delete(refresh);
          state.refreshes += 1;
          sendJson(response, 200, issueTokens(grant.user, clientId));
          return;
        }
        oauthError(response, 400, 'unsupported_grant_type', 'authorization_code or refresh_token');
        return;
      }
      oauthError(response, 404, 'not_found', url.pathname);
    })().catch((error: unknown) => {
      if (!response.headersSent) oauthError(response, 500, 'server_error', String(error));
      else response.end();
    });
  });

  const resourceServer = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (request.method === 'GET' && url.pathname === '/.well-known/oauth-protected-resource/mcp') {
      const metadata: OAuthProtectedResourceMetadata = { resource: resourceUrl, authorization_servers: [issuerUrl], bearer_methods_supported: ['header'] };
      sendJson(response, 200, metadata);
      return;
    }
    if (url.pathname !== '/mcp') {
      sendJson(response, 404, { error: 'not_found' });
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const issued = bearer === undefined ? undefined : accessTokens.get(bearer);
    if (bearer === undefined || issued === undefined || issued.expired) {
      state.unauthorizedRequests += 1;
      request.resume();
      response.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer error="invalid_token", resource_metadata="${resourceUrl.replace(/\/mcp$/, '')}/.well-known/oauth-protected-resource/mcp"`,
      });
      response.end(JSON.stringify({ error: 'invalid_token', error_description: 'a valid access token is required' }));
      return;
    }
    const server = new Server({ name: 'oauth-protected', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: 'whoami', description: 'Reports who the access token belongs to', inputSchema: { type: 'object', properties: {} } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, () => {
      state.calls.push({ user: issued.user, token: bearer });
      return { content: [{ type: 'text', text: `user=${issued.user}` }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => void server.close());
    server
      .connect(transport)
      .then(() => transport.handleRequest(request, response))
      .catch(() => {
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
  });

  issuerUrl = await listen(authorizationServer);
  const resourceOrigin = await listen(resourceServer);
  resourceUrl = `${resourceOrigin}/mcp`;
  state.mcpUrl = resourceUrl;
  state.issuerUrl = issuerUrl;
  state.close = async () => {
    await Promise.all([closeServer(authorizationServer), closeServer(resourceServer)]);
  };
  return state;
}
