import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answers to the OAuth discovery an MCP client runs against Heimdall (Claude Code does when a user
 * picks "Re-authenticate" in `/mcp`): Heimdall authenticates MCP clients with virtual-key headers
 * and offers no OAuth, so
 *
 * - `GET /.well-known/oauth-protected-resource[/mcp]` (RFC 9728),
 * - `GET /.well-known/oauth-authorization-server[/mcp]` (RFC 8414) and
 *   `/.well-known/openid-configuration[/mcp]`
 *
 * answer 404 with a JSON body, and `POST /register` (RFC 7591 dynamic client registration, the
 * client's last fallback) answers 400 `invalid_client_metadata` whose description tells the user
 * to send the virtual key as a header. The client reports that description as the reason the
 * authentication failed; its connection, authenticated by the header, keeps working.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-discovery
 * @see https://www.rfc-editor.org/rfc/rfc9728.html
 * @see https://www.rfc-editor.org/rfc/rfc7591.html#section-3.2.2
 */

/** What the user reads when their client tries OAuth against Heimdall. */
export const NO_OAUTH_MESSAGE =
  'Heimdall does not use OAuth for MCP: it authenticates with your virtual key sent as a header, e.g. ' +
  'claude mcp add --transport http heimdall <gateway>/mcp --header "Authorization: Bearer <virtual key>". ' +
  'Your connection keeps working with that header; no re-authentication is needed.';

const DISCOVERY_PATHS = [
  '/.well-known/oauth-protected-resource',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
];

/** Whether `path` is one of the discovery or registration paths answered here. */
export function isOAuthDiscoveryPath(path: string): boolean {
  return path === '/register' || DISCOVERY_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Answers a discovery or registration request (see the module comment). */
export function handleOAuthDiscovery(request: IncomingMessage, response: ServerResponse, path: string): void {
  request.resume();
  if (path === '/register') {
    response.writeHead(request.method === 'POST' ? 400 : 405, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ error: 'invalid_client_metadata', error_description: NO_OAUTH_MESSAGE }));
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: 'not_found', error_description: NO_OAUTH_MESSAGE }));
}
