import type { IncomingHttpHeaders } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type LoggingLevel,
  type Progress,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { callMcpTool, type McpToolCallContext } from './call-mcp-tool.js';
import type { McpIdentity, McpIdentityResolver } from './mcp-identity.js';
import { hasUpstreamAccess, isToolAllowed } from './mcp-tool-access.js';
import type { McpUpstream } from './mcp-upstream.js';
import type { DownstreamCallContext, McpUpstreamClient } from './mcp-upstream-client.js';

/**
 * The MCP server one downstream session talks to (`/mcp`): the tools, resources and prompts of
 * every connected upstream, filtered by the caller's identity, with calls forwarded to the upstream
 * that owns them. The caller is resolved from the headers of every request, so a per-request
 * identity (a virtual key, or `x-heimdall-mcp-session-id`) is honoured on each call.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/resources
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/prompts
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/utilities/completion
 */

/** What a session server needs from the gateway. */
export interface McpSessionServerContext extends McpToolCallContext {
  resolver: McpIdentityResolver;
}

export const HEIMDALL_MCP_SERVER_INFO = { name: 'heimdall', title: 'Heimdall MCP gateway', version: '0.1.0' };

const INSTRUCTIONS =
  'Heimdall aggregates the tools, resources and prompts of several MCP servers. Tool and prompt names are "<server>__<name>".';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A session server and the subscriptions it holds. */
export interface McpSessionServer {
  server: Server;
  /** Resource URIs this session subscribed to. */
  subscriptions: Set<string>;
}

/** Creates the MCP server for one downstream session. */
export function createMcpSessionServer(context: McpSessionServerContext): McpSessionServer {
  const server = new Server(HEIMDALL_MCP_SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    },
    instructions: INSTRUCTIONS,
  });
  const subscriptions = new Set<string>();
  let loggingLevel: LoggingLevel | undefined;
  const severity = (level: LoggingLevel): number => LoggingLevelSchema.options.indexOf(level);
  const { manager } = context;

  async function identityOf(extra: Extra): Promise<McpIdentity> {
    const headers = (extra.requestInfo?.headers ?? {}) as IncomingHttpHeaders;
    const resolution = await context.resolver.resolve(headers);
    if (resolution.kind === 'refused') throw new McpError(ErrorCode.InvalidRequest, resolution.message);
    return resolution;
  }

  /**
   * The downstream side of one forwarded request. Notifications relayed during the request
   * (progress, log messages) are tracked so that `flush` can wait for them before the result goes
   * out: the result closes the request's SSE stream, and anything sent after it would be lost.
   */
  function downstreamOf(extra: Extra): DownstreamCallContext & { flush(): Promise<void> } {
    const pending = new Set<Promise<void>>();
    return {
      sendRequest: extra.sendRequest,
      sendNotification: (notification) => {
        if (notification.method === 'notifications/message' && loggingLevel !== undefined && severity(notification.params.level) < severity(loggingLevel)) {
          return Promise.resolve();
        }
        const sending = extra.sendNotification(notification).catch(() => undefined);
        pending.add(sending);
        void sending.finally(() => pending.delete(sending));
        return sending;
      },
      clientCapabilities: server.getClientCapabilities(),
      flush: async () => {
        while (pending.size > 0) await Promise.all([...pending]);
      },
    };
  }

  function requireUpstreamAccess(identity: McpIdentity, upstream: McpUpstream, what: string): void {
    if (!hasUpstreamAccess(identity, upstream.id)) throw new McpError(ErrorCode.InvalidParams, `${what} not found`);
  }

  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    loggingLevel = request.params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, async (_request, extra) => {
    const identity = await identityOf(extra);
    const tools = [...manager.index.tools.values()]
      .filter((entry) => isToolAllowed(identity, entry.upstream.settings, entry.tool.name))
      .map((entry) => ({ ...entry.tool, name: entry.name }));
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const identity = await identityOf(extra);
    const progressToken = request.params._meta?.progressToken;
    const meta: Record<string, unknown> = { ...request.params._meta };
    delete meta.progressToken;
    const downstream = downstreamOf(extra);
    const result = await callMcpTool(context, identity, request.params.name, request.params.arguments, {
      requestHeaders: (extra.requestInfo?.headers ?? {}) as IncomingHttpHeaders,
      signal: extra.signal,
      downstream,
      meta,
      ...(progressToken === undefined
        ? {}
        : {
            onProgress: (progress: Progress) => {
              void downstream.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken } });
            },
          }),
    });
    await downstream.flush();
    return result;
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    const identity = await identityOf(extra);
    const resources = [...manager.index.resources.values()].filter((entry) => hasUpstreamAccess(identity, entry.upstream.id)).map((entry) => entry.resource);
    return { resources };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_request, extra) => {
    const identity = await identityOf(extra);
    const resourceTemplates = manager.index.resourceTemplates.filter((entry) => hasUpstreamAccess(identity, entry.upstream.id)).map((entry) => entry.template);
    return { resourceTemplates };
  });

  function upstreamForUri(uri: string): McpUpstream {
    const upstream = manager.index.upstreamForResource(uri, manager.list());
    if (upstream === undefined) throw new McpError(ErrorCode.InvalidParams, `Resource ${uri} not found`);
    return upstream;
  }

  async function forward<T>(upstream: McpUpstream, extra: Extra, operation: (connection: McpUpstreamClient) => Promise<T>): Promise<T> {
    try {
      const connection = await upstream.clientFor();
      const downstream = downstreamOf(extra);
      const result = await connection.forDownstream(downstream, () => operation(connection));
      await downstream.flush();
      return result;
    } catch (error) {
      if (error instanceof McpError) throw error;
      throw new McpError(ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
    }
  }

  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const identity = await identityOf(extra);
    const upstream = upstreamForUri(request.params.uri);
    requireUpstreamAccess(identity, upstream, `Resource ${request.params.uri}`);
    return forward(upstream, extra, (connection) => connection.client.readResource(request.params, { signal: extra.signal, timeout: upstream.settings.callTimeoutMs }));
  });

  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const identity = await identityOf(extra);
    const upstream = upstreamForUri(request.params.uri);
    requireUpstreamAccess(identity, upstream, `Resource ${request.params.uri}`);
    subscriptions.add(request.params.uri);
    const connection = await upstream.clientFor().catch(() => undefined);
    if (connection?.capabilities.resources?.subscribe === true) {
      await forward(upstream, extra, (client) => client.client.subscribeResource(request.params, { signal: extra.signal }));
    }
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
    await identityOf(extra);
    subscriptions.delete(request.params.uri);
    // Other sessions may still want updates for the URI: the upstream subscription stays.
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => {
    const identity = await identityOf(extra);
    const prompts = [...manager.index.prompts.values()].filter((entry) => hasUpstreamAccess(identity, entry.upstream.id)).map((entry) => ({ ...entry.prompt, name: entry.name }));
    return { prompts };
  });

  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const identity = await identityOf(extra);
    const entry = manager.index.prompts.get(request.params.name);
    if (entry === undefined || !hasUpstreamAccess(identity, entry.upstream.id)) throw new McpError(ErrorCode.InvalidParams, `Prompt ${request.params.name} not found`);
    return forward(entry.upstream, extra, (connection) =>
      connection.client.getPrompt({ ...request.params, name: entry.prompt.name }, { signal: extra.signal, timeout: entry.upstream.settings.callTimeoutMs }),
    );
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const identity = await identityOf(extra);
    const ref = request.params.ref;
    const empty = { completion: { values: [], hasMore: false } };
    if (ref.type === 'ref/prompt') {
      const entry = manager.index.prompts.get(ref.name);
      if (entry === undefined || !hasUpstreamAccess(identity, entry.upstream.id)) return empty;
      if (entry.upstream.catalog.prompts.length === 0) return empty;
      const connection = await entry.upstream.clientFor().catch(() => undefined);
      if (connection?.capabilities.completions === undefined) return empty;
      return forward(entry.upstream, extra, (client) => client.client.complete({ ...request.params, ref: { ...ref, name: entry.prompt.name } }, { signal: extra.signal }));
    }
    const upstream = manager.index.upstreamForTemplate(ref.uri) ?? manager.index.upstreamForResource(ref.uri, manager.list());
    if (upstream === undefined || !hasUpstreamAccess(identity, upstream.id)) return empty;
    const connection = await upstream.clientFor().catch(() => undefined);
    if (connection?.capabilities.completions === undefined) return empty;
    return forward(upstream, extra, (client) => client.client.complete(request.params, { signal: extra.signal }));
  });

  return { server, subscriptions };
}
