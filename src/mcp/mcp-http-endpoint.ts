import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { readRequestBody } from '../server/read-request-body.js';
import { McpInMemoryEventStore } from './mcp-event-store.js';
import type { McpIdentityResolver } from './mcp-identity.js';
import { createMcpSessionServer, type McpSessionServer, type McpSessionServerContext } from './mcp-session-server.js';

/**
 * `/mcp`: Heimdall's MCP endpoint over Streamable HTTP (`POST` messages, `GET` the standalone SSE
 * stream, `DELETE` to end a session), one SDK `StreamableHTTPServerTransport` and session server
 * per MCP session. Before anything else every request passes the DNS-rebinding check (Host and
 * Origin must name an allowed host) and identity resolution (refused without a valid key when
 * auth is enforced).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning
 */

/** The path of the MCP endpoint. */
export const MCP_ENDPOINT_PATH = '/mcp';

/** Sessions idle this long are closed, ms. */
const SESSION_IDLE_MS = 30 * 60_000;
/** Suggested SSE reconnection delay sent in priming events, ms. */
const SSE_RETRY_MS = 1_000;

interface SessionEntry {
  transport: StreamableHTTPServerTransport;
  session: McpSessionServer;
  lastSeen: number;
}

export interface McpHttpEndpointOptions {
  context: McpSessionServerContext;
  resolver: McpIdentityResolver;
  /** Host names allowed in Host/Origin, or undefined for no check. */
  allowedHosts: string[] | undefined;
  maxBodyBytes: number;
}

function sendJsonRpcError(response: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** The host name of a `Host` header or an origin URL, lower-cased, brackets kept for IPv6. */
function hostNameOf(hostOrUrl: string, isUrl: boolean): string | undefined {
  try {
    return new URL(isUrl ? hostOrUrl : `http://${hostOrUrl}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function isAllowedHost(name: string | undefined, allowed: readonly string[]): boolean {
  if (name === undefined) return false;
  return allowed.some((host) => host.toLowerCase() === name || (host === '[::1]' && name === '::1'));
}

export class McpHttpEndpoint {
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: McpHttpEndpointOptions) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Open MCP sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Every session server (to send list-changed and resource-updated notifications). */
  sessionServers(): McpSessionServer[] {
    return [...this.sessions.values()].map((entry) => entry.session);
  }

  /** Serves one request to `/mcp`. Never rejects: failures are JSON-RPC error responses. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const allowed = this.options.allowedHosts;
    if (allowed !== undefined) {
      const host = request.headers.host;
      const origin = request.headers.origin;
      if (host === undefined || !isAllowedHost(hostNameOf(host, false), allowed) || (origin !== undefined && !isAllowedHost(hostNameOf(origin, true), allowed))) {
        request.resume();
        sendJsonRpcError(response, 403, -32000, `Forbidden: host ${host ?? '(none)'}${origin === undefined ? '' : ` / origin ${origin}`} is not allowed (mcp.allowed_hosts)`);
        return;
      }
    }
    const identity = await this.options.resolver.resolve(request.headers);
    if (identity.kind === 'refused') {
      request.resume();
      sendJsonRpcError(response, identity.status, -32001, identity.message, {
        // A header value must be printable ASCII: quotes and anything else (like governance's `…`) are replaced.
        'www-authenticate': `Bearer realm="heimdall", error="invalid_token", error_description="${identity.message.replaceAll('…', '...').replace(/["\\]|[^\x20-\x7e]/g, "'")}"`,
      });
      return;
    }

    const method = request.method ?? 'GET';
    let parsedBody: unknown;
    if (method === 'POST') {
      let body: Buffer;
      try {
        body = await readRequestBody(request, this.options.maxBodyBytes);
      } catch (error) {
        sendJsonRpcError(response, 413, -32600, error instanceof Error ? error.message : 'request body too large');
        return;
      }
      try {
        parsedBody = JSON.parse(body.toString('utf8')) as unknown;
      } catch {
        sendJsonRpcError(response, 400, -32700, 'Parse error: the body is not valid JSON');
        return;
      }
    }

    const sessionHeader = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    let entry: SessionEntry | undefined;
    if (sessionId !== undefined) {
      entry = this.sessions.get(sessionId);
      if (entry === undefined) {
        sendJsonRpcError(response, 404, -32001, 'Session not found: initialize a new session');
        return;
      }
    } else if (method === 'POST' && this.isInitialization(parsedBody)) {
      entry = await this.createSession();
    } else {
      sendJsonRpcError(response, 400, -32000, 'Bad Request: no valid mcp-session-id header (send initialize first)');
      return;
    }
    entry.lastSeen = Date.now();
    try {
      await entry.transport.handleRequest(request, response, parsedBody);
    } catch (error) {
      if (!response.headersSent) sendJsonRpcError(response, 500, -32603, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
      else response.end();
    }
  }

  private isInitialization(body: unknown): boolean {
    return Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);
  }

  private async createSession(): Promise<SessionEntry> {
    const session = createMcpSessionServer(this.options.context);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new McpInMemoryEventStore(),
      retryInterval: SSE_RETRY_MS,
      onsessioninitialized: (id) => {
        this.sessions.set(id, entry);
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    const entry: SessionEntry = { transport, session, lastSeen: Date.now() };
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id !== undefined) this.sessions.delete(id);
    };
    await session.server.connect(transport);
    return entry;
  }

  private sweep(): void {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, entry] of this.sessions) {
      if (entry.lastSeen < cutoff) {
        this.sessions.delete(id);
        void entry.session.server.close().catch(() => undefined);
      }
    }
  }

  /** Closes every session. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const entries = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(entries.map((entry) => entry.session.server.close().catch(() => undefined)));
  }
}
