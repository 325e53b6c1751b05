import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createNetServer, connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../mcp/mcp-config-schema.js';

/**
 * Real MCP servers from npm for tests (devDependencies `@modelcontextprotocol/server-everything`
 * and `@modelcontextprotocol/server-filesystem`), the conformance fixture server, and an MCP client
 * for talking to the gateway's `/mcp`. Everything listens on 127.0.0.1 only.
 */

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The entry script of an npm MCP server package. */
export function mcpServerScript(packageName: 'server-everything' | 'server-filesystem'): string {
  return resolve(repositoryRoot, 'node_modules', '@modelcontextprotocol', packageName, 'dist', 'index.js');
}

/** Config of `server-everything` over stdio. */
export function everythingStdioConfig(extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return { transport: 'stdio', command: process.execPath, args: [mcpServerScript('server-everything'), 'stdio'], ...extra };
}

/** Config of `server-filesystem` over stdio, allowed to read and write `directory`. */
export function filesystemStdioConfig(directory: string, extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return { transport: 'stdio', command: process.execPath, args: [mcpServerScript('server-filesystem'), directory], ...extra };
}

/** Config of the conformance fixture server over stdio (run through tsx). */
export function conformanceFixtureConfig(extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    transport: 'stdio',
    command: process.execPath,
    args: ['--import', 'tsx', resolve(repositoryRoot, 'src', 'testing', 'mcp-conformance-fixture-server.ts')],
    cwd: repositoryRoot,
    ...extra,
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepts(true);
    });
    socket.once('error', () => resolveAccepts(false));
  });
}

/** Polls `predicate` every 50 ms until it holds. @throws Error naming `what` after `timeoutMs` */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

/** `server-everything` running over HTTP (Streamable HTTP at `/mcp`, or SSE at `/sse`) as a child process. */
export interface HttpMcpServerProcess {
  port: number;
  /** The MCP URL to configure (`http://127.0.0.1:<port>/mcp` or `/sse`). */
  url: string;
  child: ChildProcess;
  /** Kills the process (SIGKILL) and waits for its exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

/** Starts `server-everything` in `streamableHttp` or `sse` mode on a free port and waits until it listens. */
export async function startEverythingHttp(mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<HttpMcpServerProcess> {
  const port = await freePort();
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [mcpServerScript('server-everything'), mode], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port) },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await waitFor(() => portAccepts(port), 20_000, `server-everything (${mode}) on port ${port}`);
    return child;
  };
  const handle: HttpMcpServerProcess = {
    port,
    url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`,
    child: await launch(),
    kill: async () => {
      const child = handle.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
      child.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await handle.kill();
      handle.child = await launch();
    },
  };
  return handle;
}

/** An MCP client connected to the gateway's `/mcp` with the given headers. */
export async function connectMcpClient(gatewayUrl: string, headers: Record<string, string> = {}, capabilities: Record<string, object> = {}): Promise<Client> {
  const client = new Client({ name: 'heimdall-test-client', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), { requestInit: { headers } }));
  return client;
}

/** An in-process Streamable HTTP MCP server whose tool `whoami` reports the request's `x-user-token` header. */
export interface HeaderEchoMcpServer {
  url: string;
  /** The `x-user-token` of every `tools/call` it served, in order (undefined when absent). */
  tokensSeen: Array<string | undefined>;
  close(): Promise<void>;
}

/**
 * Starts a stateless Streamable HTTP MCP server on 127.0.0.1 standing in for an upstream that
 * needs each user's own credential: `whoami` answers with the caller's `x-user-token`, or a tool
 * error without one.
 */
export async function startHeaderEchoMcpServer(): Promise<HeaderEchoMcpServer> {
  const tokensSeen: Array<string | undefined> = [];
  const httpServer = createServer((request, response) => {
    const server = new Server({ name: 'header-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [{ name: 'whoami', description: "Reports the caller's x-user-token", inputSchema: { type: 'object', properties: {} } }],
    }));
    server.setRequestHandler(CallToolRequestSchema, (_request, extra) => {
      const header = extra.requestInfo?.headers['x-user-token'];
      const token = Array.isArray(header) ? header[0] : header;
      tokensSeen.push(token);
      return token === undefined
        ? { isError: true, content: [{ type: 'text', text: 'missing x-user-token' }] }
        : { content: [{ type: 'text', text: `token=${token}` }] };
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
  await new Promise<void>((resolveListen) => httpServer.listen(0, '127.0.0.1', resolveListen));
  const address = httpServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    tokensSeen,
    close: () =>
      new Promise<void>((resolveClose) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolveClose());
      }),
  };
}
