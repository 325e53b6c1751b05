import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type Implementation,
  type LoggingMessageNotification,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpUpstreamSettings } from './mcp-settings.js';

/**
 * One MCP client session from Heimdall to an upstream MCP server, over stdio, Streamable HTTP or
 * SSE (`@modelcontextprotocol/sdk`). Server-to-client requests the upstream makes while serving a
 * forwarded call (sampling, elicitation) and its log messages go to the downstream caller whose
 * call is in flight on this connection (the oldest, when several are).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
 * @see https://modelcontextprotocol.io/specification/2025-11-25/client/sampling
 * @see https://modelcontextprotocol.io/specification/2025-11-25/client/elicitation
 */

/** Heimdall's name towards upstream servers. */
export const HEIMDALL_MCP_IMPLEMENTATION: Implementation = { name: 'heimdall-mcp-gateway', version: '0.1.0' };

/** The downstream side of a forwarded call: where the upstream's requests and notifications go. */
export interface DownstreamCallContext {
  sendRequest: RequestHandlerExtra<ServerRequest, ServerNotification>['sendRequest'];
  sendNotification: RequestHandlerExtra<ServerRequest, ServerNotification>['sendNotification'];
  /** What the downstream client declared at initialisation. */
  clientCapabilities?: ClientCapabilities;
}

/** Everything an upstream serves, as last listed. */
export interface McpUpstreamCatalog {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

/** Events of an upstream connection. */
export interface McpUpstreamClientEvents {
  /** The upstream announced that a list changed (`notifications/<kind>/list_changed`). */
  onListChanged(kind: 'tools' | 'resources' | 'prompts'): void;
  /** `notifications/resources/updated`. */
  onResourceUpdated(uri: string): void;
  /** The transport closed (process exited, connection lost, or `close()`). */
  onClosed(): void;
}

/** How to open a connection. */
export interface McpUpstreamClientOptions {
  /** Headers on top of the upstream's static ones (a caller's per-user credential). */
  extraHeaders?: Readonly<Record<string, string>>;
  /** The OAuth provider carrying a caller's tokens (`per_user_oauth` upstreams). */
  authProvider?: OAuthClientProvider;
  connectTimeoutMs: number;
  events: McpUpstreamClientEvents;
}

/** Lines of the stdio server's stderr kept for diagnostics. */
const STDERR_TAIL_LINES = 20;

function createTransport(settings: McpUpstreamSettings, extraHeaders: Readonly<Record<string, string>>, stderrTail: string[], callerAuthProvider: OAuthClientProvider | undefined): Transport {
  const transport = settings.transport;
  if (transport.kind === 'stdio') {
    const stdio = new StdioClientTransport({
      command: transport.command,
      args: transport.args,
      env: { ...getDefaultEnvironment(), ...transport.env },
      ...(transport.cwd === undefined ? {} : { cwd: transport.cwd }),
      stderr: 'pipe',
    });
    stdio.stderr?.on('data', (chunk: Buffer | string) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        stderrTail.push(line);
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      }
    });
    return stdio;
  }
  const headers = { ...settings.headers, ...extraHeaders };
  const authProvider =
    settings.oauth === undefined
      ? callerAuthProvider
      : new ClientCredentialsProvider({
          clientId: settings.oauth.clientId,
          clientSecret: settings.oauth.clientSecret,
          clientName: HEIMDALL_MCP_IMPLEMENTATION.name,
          ...(settings.oauth.scope === undefined ? {} : { scope: settings.oauth.scope }),
        });
  const options = { requestInit: { headers }, ...(authProvider === undefined ? {} : { authProvider }) };
  const url = new URL(transport.url);
  return transport.kind === 'sse' ? new SSEClientTransport(url, options) : new StreamableHTTPClientTransport(url, options);
}

/**
 * Delivers responses one macrotask late. The SDK's `Protocol` handles a notification in a
 * microtask but a response at once, so a progress notification that arrives in the same read as
 * its request's response would find its handler already gone and be dropped (the last
 * `notifications/progress` before a tool result, typically). Deferring responses lets the
 * notifications read before them be handled first.
 */
function deferResponses(transport: Transport): void {
  const deliver = transport.onmessage;
  if (deliver === undefined) return;
  transport.onmessage = (message, extra) => {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) setImmediate(() => deliver(message, extra));
    else deliver(message, extra);
  };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A connected MCP client session to one upstream. */
export class McpUpstreamClient {
  readonly client: Client;
  /** The last lines the stdio server wrote to stderr. */
  readonly stderrTail: string[];
  private readonly transport: Transport;
  private readonly downstreamCalls: DownstreamCallContext[] = [];
  private closed = false;

  private constructor(client: Client, transport: Transport, stderrTail: string[]) {
    this.client = client;
    this.transport = transport;
    this.stderrTail = stderrTail;
  }

  /**
   * Starts the transport and runs the MCP initialisation handshake.
   * @throws Error when the server cannot be started or reached, or the handshake fails or times out
   */
  static async open(settings: McpUpstreamSettings, options: McpUpstreamClientOptions): Promise<McpUpstreamClient> {
    const stderrTail: string[] = [];
    const transport = createTransport(settings, options.extraHeaders ?? {}, stderrTail, options.authProvider);
    const client = new Client(HEIMDALL_MCP_IMPLEMENTATION, { capabilities: { sampling: {}, elicitation: { form: {}, url: {} } } });
    const upstream = new McpUpstreamClient(client, transport, stderrTail);
    upstream.registerHandlers(options.events);
    try {
      await withTimeout(client.connect(transport), options.connectTimeoutMs, `connecting to MCP server '${settings.id}'`);
    } catch (error) {
      await upstream.close();
      const tail = stderrTail.length > 0 ? ` (stderr: ${stderrTail.slice(-3).join(' | ')})` : '';
      throw new Error(`${error instanceof Error ? error.message : String(error)}${tail}`, { cause: error });
    }
    deferResponses(transport);
    return upstream;
  }

  private registerHandlers(events: McpUpstreamClientEvents): void {
    const client = this.client;
    client.onclose = () => {
      this.closed = true;
      events.onClosed();
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => events.onListChanged('tools'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => events.onListChanged('resources'));
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => events.onListChanged('prompts'));
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => events.onResourceUpdated(notification.params.uri));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification: LoggingMessageNotification) => {
      void this.currentDownstream()?.sendNotification(notification).catch(() => undefined);
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      const downstream = this.requireDownstream('sampling');
      return downstream.sendRequest({ method: 'sampling/createMessage', params: request.params }, CreateMessageResultSchema, { signal: extra.signal });
    });
    client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      const downstream = this.requireDownstream('elicitation');
      return downstream.sendRequest({ method: 'elicitation/create', params: request.params }, ElicitResultSchema, { signal: extra.signal });
    });
  }

  private currentDownstream(): DownstreamCallContext | undefined {
    return this.downstreamCalls[0];
  }

  private requireDownstream(capability: 'sampling' | 'elicitation'): DownstreamCallContext {
    const downstream = this.downstreamCalls.find((call) => call.clientCapabilities?.[capability] !== undefined);
    if (downstream === undefined) {
      throw new McpError(ErrorCode.InvalidRequest, `no connected client that supports ${capability} is waiting on this server`);
    }
    return downstream;
  }

  /** Runs `operation` (a forwarded call) with `downstream` as the target of the upstream's requests and logs. */
  async forDownstream<T>(downstream: DownstreamCallContext | undefined, operation: () => Promise<T>): Promise<T> {
    if (downstream === undefined) return operation();
    this.downstreamCalls.push(downstream);
    try {
      return await operation();
    } finally {
      const position = this.downstreamCalls.indexOf(downstream);
      if (position >= 0) this.downstreamCalls.splice(position, 1);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The upstream's declared capabilities. */
  get capabilities(): ServerCapabilities {
    return this.client.getServerCapabilities() ?? {};
  }

  /** The process id of a stdio server (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.transport instanceof StdioClientTransport ? (this.transport.pid ?? undefined) : undefined;
  }

  /** Lists every tool, resource, resource template and prompt (all pages) the server declares. */
  async listCatalog(timeoutMs: number): Promise<McpUpstreamCatalog> {
    const capabilities = this.capabilities;
    const options = { timeout: timeoutMs };
    const tools: Tool[] = [];
    const resources: Resource[] = [];
    const resourceTemplates: ResourceTemplate[] = [];
    const prompts: Prompt[] = [];
    if (capabilities.tools !== undefined) {
      let cursor: string | undefined;
      do {
        const page = await this.client.listTools(cursor === undefined ? {} : { cursor }, options);
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    if (capabilities.resources !== undefined) {
      let cursor: string | undefined;
      do {
        const page = await this.client.listResources(cursor === undefined ? {} : { cursor }, options);
        resources.push(...page.resources);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      do {
        const page = await this.client.listResourceTemplates(cursor === undefined ? {} : { cursor }, options);
        resourceTemplates.push(...page.resourceTemplates);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    if (capabilities.prompts !== undefined) {
      let cursor: string | undefined;
      do {
        const page = await this.client.listPrompts(cursor === undefined ? {} : { cursor }, options);
        prompts.push(...page.prompts);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    return { tools, resources, resourceTemplates, prompts };
  }

  /** Closes the session (and stops a stdio server). Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.client.close();
    } catch {
      // Already closed or the process is gone.
    }
  }
}
